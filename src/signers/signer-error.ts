// Why a signer could not sign, as a closed set: the audit log records it with every failed signing
// (`signing-failed`, docs/audit.md), and readiness reports it. Every signer type (KMS, PKCS#11)
// raises SignerError with one of these, so callers never read an SDK's error names.
import { KubecaError, type KubecaErrorOptions, type ErrorCode } from "../errors/index.js";

export const SIGNER_FAILURE_REASONS = [
  /** The key service refused for rate: retry after Retry-After. */
  "throttled",
  /** No answer within the signer's timeout (retries included), or the service's own dependency timed out. */
  "timed-out",
  /** The key service could not be reached (connection refused or reset, DNS). */
  "network",
  /** The key service failed on its side (5xx, internal error, key store briefly unreachable, no signature returned). */
  "service-error",
  /** The key is disabled: someone must enable it. */
  "key-disabled",
  /** The key is in a state that cannot sign: pending deletion or pending import. */
  "key-invalid-state",
  /** The key does not exist (any more) in this account and region. */
  "key-not-found",
  /** The credentials may not use the key (any more), or are not valid. */
  "access-denied",
  /** Anything else about the key or its configuration: wrong usage, algorithm, region. */
  "misconfigured",
] as const;

export type SignerFailureReason = (typeof SIGNER_FAILURE_REASONS)[number];

/** Reasons that say the key itself cannot be used now: readiness turns false at once. */
export const KEY_STATE_REASONS: ReadonlySet<SignerFailureReason> = new Set(["key-disabled", "key-invalid-state", "key-not-found", "access-denied"]);

export class SignerError extends KubecaError {
  readonly reason: SignerFailureReason;

  constructor(code: ErrorCode, reason: SignerFailureReason, detail: string, options: KubecaErrorOptions = {}) {
    super(code, detail, options);
    this.reason = reason;
  }
}

export function isSignerError(e: unknown): e is SignerError {
  return e instanceof SignerError;
}
