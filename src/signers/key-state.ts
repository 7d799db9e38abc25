// Optional signer capability (style rule 5: the Signer keeps its three members): asking the key
// service whether the key can still sign, without signing. A KMS key can be disabled, scheduled for
// deletion or denied to these credentials while the service runs; readiness asks this periodically
// and at once after a failed signature (issuance/signer-health.ts). Signers whose key cannot change
// under them (memory) do not implement it. A PKCS#11 signer implements it by opening a session and
// finding its key object.
import type { Signer } from "./signer.js";
import type { SignerFailureReason } from "./signer-error.js";

export type KeyState =
  | { readonly usable: true }
  | { readonly usable: false; readonly reason: SignerFailureReason; readonly detail: string };

export interface KeyStateChecking extends Signer {
  /**
   * Whether the key can sign now. Resolves, never rejects: a failure to ask is a state too (reason
   * `timed-out`, `network`, `throttled`…). Never signs anything.
   */
  checkKey(): Promise<KeyState>;
}

export function checksKeyState(s: Signer): s is KeyStateChecking {
  return typeof (s as Partial<KeyStateChecking>).checkKey === "function";
}
