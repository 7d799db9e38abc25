// Every KMS / SDK failure becomes a KubecaError here and nowhere else. Transient failures are
// KUBECA_SIGNER_UNAVAILABLE with retryAfter; the rest are KUBECA_SIGNER_MISCONFIGURED naming the key.
// The SDK's message can carry ARNs of other principals or policy text, so it goes only into `cause`.
import { KubecaError, isKubecaError } from "../errors/index.js";

type Transient = { readonly what: string; readonly retryAfter: number };

const TRANSIENT: Record<string, Transient> = {
  ThrottlingException: { what: "throttled", retryAfter: 1 },
  LimitExceededException: { what: "throttled (request quota exceeded)", retryAfter: 1 },
  KMSInternalException: { what: "failed internally", retryAfter: 1 },
  DependencyTimeoutException: { what: "timed out on an internal dependency", retryAfter: 2 },
  // AWS documents this one as retryable (a custom key store briefly unreachable), so it is not an operator error.
  KeyUnavailableException: { what: "reported the key temporarily unavailable", retryAfter: 5 },
  ServiceUnavailableException: { what: "was unavailable", retryAfter: 2 },
  InternalFailure: { what: "failed internally", retryAfter: 1 },
};

const MISCONFIGURED: Record<string, string> = {
  DisabledException: "is disabled; enable it (aws kms enable-key) or point the CA at an enabled key",
  NotFoundException: "does not exist in this account and region; check keyId and region",
  KMSInvalidStateException: "is not in a usable state (pending deletion or import?); cancel the deletion or use another key",
  InvalidKeyUsageException: "cannot be used to sign with this algorithm; the key needs usage SIGN_VERIFY and a supported key spec",
  AccessDeniedException: "may not be used by these credentials; allow kms:GetPublicKey and kms:Sign on it",
  IncorrectKeyException: "is not the key expected for this operation",
  InvalidArnException: "is not a valid key id or ARN",
  InvalidGrantTokenException: "was used with an invalid grant token",
  UnrecognizedClientException: "cannot be reached with these credentials (unknown access key); check the AWS credentials",
  InvalidSignatureException: "cannot be reached with these credentials (request signature refused); check the secret key",
  ExpiredTokenException: "cannot be reached with these credentials (session token expired); refresh the AWS credentials",
  CredentialsProviderError: "cannot be used: no AWS credentials were found; set up the standard AWS credentials chain",
  ValidationException: "refused the request as invalid; the key spec and signing algorithm may not match",
};

// Node socket errors and the SDK's own timeout names: the network, not the configuration.
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"]);
const TIMEOUT_NAMES = new Set(["TimeoutError", "AbortError", "RequestTimeout", "RequestTimeoutException"]);

interface ErrorFacts {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** A KubecaError for `err` from KMS operation `operation` on `keyId`. KubecaErrors pass through unchanged. */
export function kmsError(err: unknown, keyId: string, operation: string): KubecaError {
  if (isKubecaError(err)) return err;
  const facts = (typeof err === "object" && err !== null ? err : {}) as ErrorFacts;
  const name = typeof facts.name === "string" ? facts.name : "";
  const code = typeof facts.code === "string" ? facts.code : "";

  const transient = TRANSIENT[name];
  if (transient) {
    return new KubecaError("KUBECA_SIGNER_UNAVAILABLE", `KMS ${transient.what} on ${operation} with key ${keyId}; retry in ${transient.retryAfter}s`, {
      retryAfter: transient.retryAfter,
      cause: err,
    });
  }
  if (TIMEOUT_NAMES.has(name) || NETWORK_CODES.has(code)) {
    return new KubecaError("KUBECA_SIGNER_UNAVAILABLE", `KMS did not answer ${operation} with key ${keyId} in time (timeout or network error); retry in 2s`, {
      retryAfter: 2,
      cause: err,
    });
  }
  // The SDK raises a plain Error for this; matching its text only classifies, it is never shown.
  if (err instanceof Error && /^Region is missing/.test(err.message)) {
    return new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `KMS key ${keyId} cannot be reached: no AWS region is set; set region in the signer config or AWS_REGION`, {
      cause: err,
    });
  }
  const problem = MISCONFIGURED[name];
  if (problem) {
    return new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `KMS key ${keyId} ${problem}`, { cause: err });
  }
  const status = facts.$metadata?.httpStatusCode;
  if (facts.$fault === "server" || (typeof status === "number" && status >= 500)) {
    return new KubecaError("KUBECA_SIGNER_UNAVAILABLE", `KMS failed on ${operation} with key ${keyId} (server error); retry in 2s`, {
      retryAfter: 2,
      cause: err,
    });
  }
  // An error name is an AWS error code, not free text, so it may be shown; anything else stays in cause.
  const label = /^[A-Za-z]{1,64}$/.test(name) && name !== "Error" ? ` (${name})` : "";
  return new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `KMS refused ${operation} with key ${keyId}${label}; check the key and the credentials' permissions`, {
    cause: err,
  });
}
