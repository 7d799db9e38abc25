// The HTTP status inside an error from @kubernetes/client-node (ApiException.code) or its Watch
// (statusCode), so callers can tell 404, 409 and 410 from transient failures.
import { ApiException } from "@kubernetes/client-node";

export function statusOf(e: unknown): number | undefined {
  if (e instanceof ApiException) return e.code;
  const code = (e as { statusCode?: unknown; code?: unknown } | undefined)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

export const isNotFound = (e: unknown): boolean => statusOf(e) === 404;
export const isConflict = (e: unknown): boolean => statusOf(e) === 409;
