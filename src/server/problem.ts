// problem+json (RFC 9457) documents, built only from the error table (style rule 1).
import { ERRORS, problemType, type ErrorCode, type KubecaError, type Violation } from "../errors/index.js";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Seconds to wait when a 503 or 429 arrives without its own retryAfter: a client should never guess. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  /** urn:uuid of the request; the server log holds the cause under the same id. */
  readonly instance: string;
  readonly requestId: string;
  /** The error table's "how to fix" line. */
  readonly fix: string;
  readonly violations?: readonly Violation[];
}

export function problemBody(error: KubecaError, requestId: string): Problem {
  const spec = ERRORS[error.code];
  return {
    type: problemType(error.code),
    title: spec.title,
    status: spec.status,
    detail: error.detail,
    code: error.code,
    instance: `urn:uuid:${requestId}`,
    requestId,
    fix: spec.fix,
    ...(error.violations.length > 0 ? { violations: error.violations } : {}),
  };
}

/** Retry-After in seconds for errors that ask the caller to come back, else undefined. */
export function retryAfterSeconds(error: KubecaError): number | undefined {
  const status = ERRORS[error.code].status;
  if (error.retryAfter !== undefined) return Math.max(1, Math.ceil(error.retryAfter));
  return status === 503 || status === 429 ? DEFAULT_RETRY_AFTER_SECONDS : undefined;
}
