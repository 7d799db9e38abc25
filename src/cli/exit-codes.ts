// Exit codes for `kubeca`, one per error code; the compiler keeps the table total (style rule 2).
import type { ErrorCode } from "../errors/index.js";

export const EXIT_OK = 0;
/** Something was checked and found wrong (verify failed, certificates due, policy refusal). */
export const EXIT_FAILURE = 1;
/** The command line or the configuration is wrong. */
export const EXIT_USAGE = 2;
/** A dependency (KMS, audit store, server) is unavailable: retrying later may succeed. */
export const EXIT_UNAVAILABLE = 3;
/** Only a CA expires within the window: `kubeca renew` cannot fix that, so the timer must not renew. */
export const EXIT_CA_EXPIRING = 4;
/** Another kubeca renew or recover holds this node's lock: nothing was done; run again once it ends. */
export const EXIT_BUSY = 5;

export const EXIT_CODES: Record<ErrorCode, number> = {
  KUBECA_BAD_REQUEST: EXIT_USAGE,
  KUBECA_BODY_TOO_LARGE: EXIT_USAGE,
  KUBECA_UNSUPPORTED_MEDIA_TYPE: EXIT_USAGE,
  KUBECA_CSR_MALFORMED: EXIT_FAILURE,
  KUBECA_CSR_SIGNATURE_INVALID: EXIT_FAILURE,
  KUBECA_UNKNOWN_PROFILE: EXIT_USAGE,
  KUBECA_POLICY_VIOLATION: EXIT_FAILURE,
  KUBECA_UNAUTHENTICATED: EXIT_FAILURE,
  KUBECA_FORBIDDEN: EXIT_FAILURE,
  KUBECA_NOT_FOUND: EXIT_USAGE,
  KUBECA_METHOD_NOT_ALLOWED: EXIT_USAGE,
  KUBECA_RATE_LIMITED: EXIT_UNAVAILABLE,
  KUBECA_SIGNER_UNAVAILABLE: EXIT_UNAVAILABLE,
  KUBECA_SIGNER_MISCONFIGURED: EXIT_USAGE,
  KUBECA_SIGNER_KEY_MISMATCH: EXIT_USAGE,
  KUBECA_AUDIT_UNAVAILABLE: EXIT_UNAVAILABLE,
  KUBECA_NOT_READY: EXIT_UNAVAILABLE,
  KUBECA_CONFIG_INVALID: EXIT_USAGE,
  KUBECA_CA_INVALID: EXIT_USAGE,
  KUBECA_ROTATION_REFUSED: EXIT_FAILURE,
  KUBECA_NODE_RETIRE_REFUSED: EXIT_FAILURE,
  KUBECA_INTERNAL: EXIT_FAILURE,
};
