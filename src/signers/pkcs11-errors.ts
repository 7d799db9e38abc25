// Every PKCS#11 failure becomes a KubecaError here and nowhere else, as kms-errors.ts does for KMS.
// A CKR_* name is a constant of the standard, so it may be shown; a module's own text (dlopen
// messages, vendor strings) goes only into `cause`. The PIN is never part of any message.
import { KubecaError, isKubecaError } from "../errors/index.js";
import { SignerError, type SignerFailureReason } from "./signer-error.js";

/** What the session pool does about a failed call before it gives up. */
export type Pkcs11Recovery =
  /** The token forgot our login (another process logged out, the token restarted): log in, retry once. */
  | "log-in"
  /** The session, the token or the key handle is gone: open a new session, find the key again, retry once. */
  | "reopen"
  | "none";

const REOPEN = new Set([
  "CKR_SESSION_HANDLE_INVALID",
  "CKR_SESSION_CLOSED",
  "CKR_DEVICE_REMOVED",
  "CKR_TOKEN_NOT_PRESENT",
  "CKR_TOKEN_NOT_RECOGNIZED",
  // SoftHSM answers this (and real HSMs may) when the token was removed under an open session.
  "CKR_OBJECT_HANDLE_INVALID",
  "CKR_KEY_HANDLE_INVALID",
]);

export function recoveryFor(err: unknown): Pkcs11Recovery {
  const name = ckrName(err);
  if (name === "CKR_USER_NOT_LOGGED_IN") return "log-in";
  return name !== undefined && REOPEN.has(name) ? "reopen" : "none";
}

/** The CKR_* name of a pkcs11js error, or undefined for anything else. */
export function ckrName(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : undefined;
  return message !== undefined && /^CKR_[A-Z0-9_]{1,60}$/.test(message) ? message : undefined;
}

// The token or its connection is not there (now): retrying later may work, so 503 + Retry-After.
// Each with the closed-set reason the audit log and readiness report: a token or key that is gone
// counts as key-not-found, so /readyz turns not ready at once (issuance/signer-health.ts).
const UNAVAILABLE: Record<string, { readonly what: string; readonly reason: SignerFailureReason }> = {
  CKR_DEVICE_REMOVED: { what: "the token was removed", reason: "key-not-found" },
  CKR_TOKEN_NOT_PRESENT: { what: "the token is not present", reason: "key-not-found" },
  CKR_TOKEN_NOT_RECOGNIZED: { what: "the token is not recognised", reason: "key-not-found" },
  CKR_DEVICE_ERROR: { what: "the token reported a device error", reason: "service-error" },
  CKR_DEVICE_MEMORY: { what: "the token is out of memory", reason: "service-error" },
  CKR_HOST_MEMORY: { what: "the PKCS#11 module is out of memory", reason: "service-error" },
  CKR_GENERAL_ERROR: { what: "the PKCS#11 module failed (CKR_GENERAL_ERROR), the token may have been removed", reason: "service-error" },
  CKR_FUNCTION_FAILED: { what: "the token failed the operation", reason: "service-error" },
  CKR_SESSION_COUNT: { what: "the token has no session left (its session limit is reached)", reason: "throttled" },
  CKR_SESSION_HANDLE_INVALID: { what: "the session was closed by the token", reason: "service-error" },
  CKR_SESSION_CLOSED: { what: "the session was closed by the token", reason: "service-error" },
  CKR_OBJECT_HANDLE_INVALID: { what: "the key is no longer on the token, which may have been removed", reason: "key-not-found" },
  CKR_KEY_HANDLE_INVALID: { what: "the key is no longer on the token, which may have been removed", reason: "key-not-found" },
  CKR_USER_NOT_LOGGED_IN: { what: "the token refused to keep us logged in", reason: "access-denied" },
};

// PIN refusals. At start they stop kubeca (the operator must fix the PIN); while serving they make
// signing answer 503 and kubeca stops logging in, so it cannot lock the PIN by retrying a wrong one.
const PIN: Record<string, string> = {
  CKR_PIN_INCORRECT: "refused the PIN (CKR_PIN_INCORRECT); check the PIN source, and that the token's user PIN is set",
  CKR_PIN_LOCKED: "has locked the user PIN (CKR_PIN_LOCKED); the security officer must unlock it",
  CKR_PIN_EXPIRED: "says the user PIN has expired (CKR_PIN_EXPIRED); set a new PIN on the token",
  CKR_PIN_INVALID: "refused the PIN as malformed (CKR_PIN_INVALID); check the PIN source",
  CKR_PIN_LEN_RANGE: "refused the PIN's length (CKR_PIN_LEN_RANGE); check the PIN source (a trailing newline?)",
  CKR_USER_PIN_NOT_INITIALIZED: "has no user PIN (CKR_USER_PIN_NOT_INITIALIZED); initialise it with the token's tools",
};

// The configuration or the key cannot work, whenever it is tried: 500 while serving, exit 2 at start.
const MISCONFIGURED: Record<string, string> = {
  CKR_MECHANISM_INVALID: "does not offer the signing mechanism this key needs",
  CKR_MECHANISM_PARAM_INVALID: "refused the mechanism's parameters (PSS with SHA-256, MGF1-SHA-256, salt 32)",
  CKR_KEY_TYPE_INCONSISTENT: "says the key's type does not fit the mechanism",
  CKR_KEY_FUNCTION_NOT_PERMITTED: "does not allow this key to sign (CKA_SIGN is false)",
  CKR_KEY_SIZE_RANGE: "refused the key size for this mechanism",
  CKR_DATA_LEN_RANGE: "refused the digest's length for this key",
  CKR_ATTRIBUTE_TYPE_INVALID: "does not know an attribute kubeca reads",
  CKR_ATTRIBUTE_SENSITIVE: "refused to read a key attribute",
  CKR_TEMPLATE_INCONSISTENT: "refused the key template",
  CKR_TEMPLATE_INCOMPLETE: "refused the key template as incomplete",
  CKR_SLOT_ID_INVALID: "has no such slot",
  CKR_TOKEN_WRITE_PROTECTED: "is write-protected",
  CKR_USER_TYPE_INVALID: "does not know the user type",
};

export interface Pkcs11ErrorContext {
  /** How the operator named the token and key: `token label kubeca, key label kubeca-ca`. */
  readonly where: string;
  /** The PKCS#11 call or step, e.g. C_Sign, C_Login. */
  readonly operation: string;
  /** `start`: kubeca is opening the signer; `serving`: a request is being signed. */
  readonly phase: "start" | "serving";
}

/** A KubecaError for `err` from a PKCS#11 call. KubecaErrors pass through unchanged. */
export function pkcs11Error(err: unknown, context: Pkcs11ErrorContext): KubecaError {
  if (isKubecaError(err)) return err;
  const { where, operation, phase } = context;
  const name = ckrName(err);
  if (name !== undefined && PIN[name] !== undefined) {
    if (phase === "start") return new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `PKCS#11 ${where}: the token ${PIN[name]}`, { cause: err });
    return pinRefusedWhileServing(where, name, err);
  }
  if (name !== undefined && UNAVAILABLE[name] !== undefined) {
    return unavailable(`PKCS#11 ${where}: ${operation}: ${UNAVAILABLE[name].what}; retry in 5s`, 5, err, UNAVAILABLE[name].reason);
  }
  if (name !== undefined && MISCONFIGURED[name] !== undefined) {
    return new SignerError("KUBECA_SIGNER_MISCONFIGURED", "misconfigured", `PKCS#11 ${where}: the token ${MISCONFIGURED[name]} (${name} on ${operation})`, { cause: err });
  }
  if (name !== undefined) {
    return new SignerError("KUBECA_SIGNER_MISCONFIGURED", "misconfigured", `PKCS#11 ${where}: the token answered ${operation} with ${name}; see the module's documentation for it`, {
      cause: err,
    });
  }
  // Not a CKR_* answer: the native addon itself (a crash in the module, a bad argument). Fail closed.
  return unavailable(`PKCS#11 ${where}: ${operation} failed in the PKCS#11 module; retry in 5s, and check the module's log if it persists`, 5, err, "service-error");
}

/** While serving, a PIN the token once took is refused: 503 until an operator fixes it and restarts. */
export function pinRefusedWhileServing(where: string, name: string, cause?: unknown): KubecaError {
  return unavailable(
    `PKCS#11 ${where}: the token ${PIN[name] ?? `refused the PIN (${name})`}; kubeca will not try this PIN again until it restarts`,
    30,
    cause,
    "access-denied",
  );
}

function unavailable(detail: string, retryAfter: number, cause: unknown, reason: SignerFailureReason): KubecaError {
  return new SignerError("KUBECA_SIGNER_UNAVAILABLE", reason, detail, { retryAfter, cause });
}
