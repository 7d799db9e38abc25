// What decide() returns: one of five outcomes, as data. apply() turns it into audit records and
// apiserver writes; nothing else decides.
import type { CaName } from "../config/index.js";
import type { Violation } from "../errors/index.js";
import type { Reason } from "./reasons.js";

export type ExtKeyUsage = "serverAuth" | "clientAuth";

export type Decision =
  /** Add Approved (serving CSRs only). */
  | { readonly kind: "approve"; readonly reason: Reason; readonly message: string }
  /** Add Denied: a permanent refusal of a pending serving CSR. */
  | { readonly kind: "deny"; readonly reason: Reason; readonly message: string; readonly violations: readonly Violation[] }
  /** Issue and write status.certificate. */
  | {
      readonly kind: "sign";
      readonly ca: CaName;
      readonly eku: ExtKeyUsage;
      readonly validitySeconds: number;
      /** KeyUsage keyEncipherment: only for an RSA key whose spec.usages ask for it (KCM issues spec.usages). */
      readonly keyEncipherment: boolean;
      readonly event: "kubelet-csr-signed" | "node-client-csr-signed";
      readonly reason: Reason;
    }
  /** Add Failed: an approved CSR this signer will not sign, permanently. */
  | { readonly kind: "fail"; readonly reason: Reason; readonly message: string; readonly violations: readonly Violation[] }
  /** Nothing to do now; `requeueAfterSeconds` when waiting on a fact that may still appear. */
  | { readonly kind: "skip"; readonly why: string; readonly requeueAfterSeconds?: number };

/** The message of a Denied/Failed condition: every violation, in check order. */
export function violationMessage(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.rule}: ${v.message}`).join("; ");
}
