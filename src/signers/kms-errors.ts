// Every KMS / SDK failure becomes a SignerError here and nowhere else, with a reason from the closed
// set in signer-error.ts. Transient failures are KUBECA_SIGNER_UNAVAILABLE with retryAfter. A key that
// cannot be used (disabled, pending deletion, gone, no longer permitted) is a misconfiguration when
// the service starts, and an unavailable dependency once it runs: a running CA answers 503 with the
// fix in the detail, and readiness turns false until someone acts. The rest is
// KUBECA_SIGNER_MISCONFIGURED naming the key. The SDK's message can carry ARNs of other principals or
// policy text, so it goes only into `cause`.
import { isKubecaError, type KubecaError } from "../errors/index.js";
import { SignerError, type SignerFailureReason } from "./signer-error.js";

type Transient = { readonly what: string; readonly retryAfter: number; readonly reason: SignerFailureReason };

const TRANSIENT: Record<string, Transient> = {
  ThrottlingException: { what: "throttled", retryAfter: 1, reason: "throttled" },
  LimitExceededException: { what: "throttled (request quota exceeded)", retryAfter: 1, reason: "throttled" },
  KMSInternalException: { what: "failed internally", retryAfter: 1, reason: "service-error" },
  DependencyTimeoutException: { what: "timed out on an internal dependency", retryAfter: 2, reason: "timed-out" },
  // AWS documents this one as retryable (a custom key store briefly unreachable), so it is not an operator error.
  KeyUnavailableException: { what: "reported the key temporarily unavailable", retryAfter: 5, reason: "service-error" },
  ServiceUnavailableException: { what: "was unavailable", retryAfter: 2, reason: "service-error" },
  InternalFailure: { what: "failed internally", retryAfter: 1, reason: "service-error" },
};

/** The key cannot be used now; someone must act. What they must do is in `fix`. */
const KEY_STATE: Record<string, { readonly reason: SignerFailureReason; readonly fix: string }> = {
  DisabledException: { reason: "key-disabled", fix: "is disabled; enable it (aws kms enable-key) or point the CA at an enabled key" },
  NotFoundException: { reason: "key-not-found", fix: "does not exist in this account and region; check keyId and region" },
  KMSInvalidStateException: { reason: "key-invalid-state", fix: "is not in a usable state (pending deletion or import?); cancel the deletion (aws kms cancel-key-deletion, then enable-key) or use another key" },
  AccessDeniedException: { reason: "access-denied", fix: "may not be used by these credentials; allow kms:GetPublicKey and kms:Sign on it" },
  UnrecognizedClientException: { reason: "access-denied", fix: "cannot be reached with these credentials (unknown access key); check the AWS credentials" },
  InvalidSignatureException: { reason: "access-denied", fix: "cannot be reached with these credentials (request signature refused); check the secret key" },
  ExpiredTokenException: { reason: "access-denied", fix: "cannot be reached with these credentials (session token expired); refresh the AWS credentials" },
  CredentialsProviderError: { reason: "access-denied", fix: "cannot be used: no AWS credentials were found; set up the standard AWS credentials chain" },
};

const MISCONFIGURED: Record<string, string> = {
  InvalidKeyUsageException: "cannot be used to sign with this algorithm; the key needs usage SIGN_VERIFY and a supported key spec",
  IncorrectKeyException: "is not the key expected for this operation",
  InvalidArnException: "is not a valid key id or ARN",
  InvalidGrantTokenException: "was used with an invalid grant token",
  ValidationException: "refused the request as invalid; the key spec and signing algorithm may not match",
};

/** Seconds a caller waits after a key-state failure: a person must act, retrying sooner only adds load. */
export const KEY_STATE_RETRY_AFTER_SECONDS = 30;

// Node socket errors and the SDK's own timeout names: the network, not the configuration.
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"]);
const TIMEOUT_NAMES = new Set(["TimeoutError", "AbortError", "RequestTimeout", "RequestTimeoutException"]);

interface ErrorFacts {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * A SignerError for `err` from KMS operation `operation` on `keyId`. KubecaErrors pass through
 * unchanged. `running`: the service has started (Sign, or a re-check of the key), so a key that
 * cannot be used is an unavailable dependency (503), not a configuration to refuse at start.
 */
export function kmsError(err: unknown, keyId: string, operation: string, running = operation === "Sign"): KubecaError {
  if (isKubecaError(err)) return err;
  const facts = (typeof err === "object" && err !== null ? err : {}) as ErrorFacts;
  const name = typeof facts.name === "string" ? facts.name : "";
  const code = typeof facts.code === "string" ? facts.code : "";

  const transient = TRANSIENT[name];
  if (transient) {
    return new SignerError("KUBECA_SIGNER_UNAVAILABLE", transient.reason, `KMS ${transient.what} on ${operation} with key ${keyId}; retry in ${transient.retryAfter}s`, {
      retryAfter: transient.retryAfter,
      cause: err,
    });
  }
  if (TIMEOUT_NAMES.has(name) || NETWORK_CODES.has(code)) {
    return new SignerError("KUBECA_SIGNER_UNAVAILABLE", NETWORK_CODES.has(code) ? "network" : "timed-out", `KMS did not answer ${operation} with key ${keyId} in time (timeout or network error); retry in 2s`, {
      retryAfter: 2,
      cause: err,
    });
  }
  // The SDK raises a plain Error for this; matching its text only classifies, it is never shown.
  if (err instanceof Error && /^Region is missing/.test(err.message)) {
    return new SignerError("KUBECA_SIGNER_MISCONFIGURED", "misconfigured", `KMS key ${keyId} cannot be reached: no AWS region is set; set region in the signer config or AWS_REGION`, {
      cause: err,
    });
  }
  const keyState = KEY_STATE[name];
  if (keyState) {
    if (!running) return new SignerError("KUBECA_SIGNER_MISCONFIGURED", keyState.reason, `KMS key ${keyId} ${keyState.fix}`, { cause: err });
    return new SignerError(
      "KUBECA_SIGNER_UNAVAILABLE",
      keyState.reason,
      `KMS key ${keyId} ${keyState.fix}; nothing is signed with it until then (${operation} refused)`,
      { retryAfter: KEY_STATE_RETRY_AFTER_SECONDS, cause: err },
    );
  }
  const problem = MISCONFIGURED[name];
  if (problem) {
    return new SignerError("KUBECA_SIGNER_MISCONFIGURED", "misconfigured", `KMS key ${keyId} ${problem}`, { cause: err });
  }
  const status = facts.$metadata?.httpStatusCode;
  if (facts.$fault === "server" || (typeof status === "number" && status >= 500)) {
    return new SignerError("KUBECA_SIGNER_UNAVAILABLE", "service-error", `KMS failed on ${operation} with key ${keyId} (server error); retry in 2s`, {
      retryAfter: 2,
      cause: err,
    });
  }
  // An error name is an AWS error code, not free text, so it may be shown; anything else stays in cause.
  const label = /^[A-Za-z]{1,64}$/.test(name) && name !== "Error" ? ` (${name})` : "";
  return new SignerError("KUBECA_SIGNER_MISCONFIGURED", "misconfigured", `KMS refused ${operation} with key ${keyId}${label}; check the key and the credentials' permissions`, {
    cause: err,
  });
}
