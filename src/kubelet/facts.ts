// Everything decide() may look at besides the CSR object and the clock, gathered in one place
// (cert-manager's policies Input). Building Facts does I/O; reading them never does.
import type { ParsedCsr } from "../pki/types.js";
import type { NodeAddresses } from "./address-source.js";
import type { KubeletPolicy } from "./kubelet-policy.js";

/** spec.request, parsed with its self-signature verified, or why it could not be. */
export type RequestFacts =
  | { readonly ok: true; readonly csr: ParsedCsr }
  | { readonly ok: false; readonly error: string };

/** The Node a serving CSR's spec.username names. Client CSRs never look it up (new nodes have none yet). */
export type NodeFacts =
  | { readonly state: "not-looked-up" }
  | { readonly state: "missing"; readonly name: string }
  /** `cached`: from the controller's Node cache, not a GET just now (a refusal is never made on it alone). */
  | { readonly state: "found"; readonly name: string; readonly addresses: NodeAddresses; readonly cached?: boolean };

export interface Facts {
  readonly policy: KubeletPolicy;
  readonly request: RequestFacts;
  readonly node: NodeFacts;
}
