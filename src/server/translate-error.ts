// Errors from fastify and from anywhere else become KubecaErrors here, at the HTTP boundary, so the
// error handler only ever writes rows of the error table.
import { isKubecaError, KubecaError } from "../errors/index.js";

/** fastify's own client errors, by fastify code, with a detail of our wording. */
const FASTIFY_ERRORS: Readonly<Record<string, () => KubecaError>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new KubecaError("KUBECA_BODY_TOO_LARGE", "the request body is larger than 64 KiB"),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new KubecaError("KUBECA_UNSUPPORTED_MEDIA_TYPE", "the body's Content-Type is not application/json"),
  FST_ERR_CTP_INVALID_JSON_BODY: () => new KubecaError("KUBECA_BAD_REQUEST", "the body is not valid JSON"),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new KubecaError("KUBECA_BAD_REQUEST", "the body is empty but Content-Type is application/json"),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new KubecaError("KUBECA_BAD_REQUEST", "Content-Length does not match the length of the body"),
};

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
}

/**
 * The KubecaError to answer with, and whether the error was expected (a refusal or a client mistake)
 * rather than a fault worth an error-level log line.
 */
export function translateError(error: unknown): { error: KubecaError; expected: boolean } {
  if (isKubecaError(error)) return { error, expected: true };
  const { code, statusCode } = (typeof error === "object" && error !== null ? error : {}) as FastifyLikeError;
  if (typeof code === "string") {
    const known = FASTIFY_ERRORS[code];
    if (known) return { error: known(), expected: true };
    // Any other fastify client error (bad URL, bad header...): its message is fastify's own text about
    // the request, never about our internals, so it may be shown.
    if (code.startsWith("FST_") && typeof statusCode === "number" && statusCode >= 400 && statusCode < 500) {
      const mapped = statusCode === 413 ? "KUBECA_BODY_TOO_LARGE" : statusCode === 415 ? "KUBECA_UNSUPPORTED_MEDIA_TYPE" : "KUBECA_BAD_REQUEST";
      return { error: new KubecaError(mapped, (error as Error).message), expected: true };
    }
  }
  return {
    error: new KubecaError("KUBECA_INTERNAL", "an unexpected error occurred; the server log has it under this request id", {
      cause: error,
    }),
    expected: false,
  };
}
