// What the kubelet signer needs from a CA: the leaf issuer (pki/, which alone calls the Signer) and
// constant extensions per EKU. issuance/'s IssuingCa has this shape, so the CLI passes those.
import type { CaName } from "../config/index.js";
import type { ExtKeyUsageName, LeafExtensions, LeafIssuer } from "../pki/types.js";

export interface KubeletCa {
  readonly name: CaName;
  readonly issuer: LeafIssuer;
  /** KeyUsage is digitalSignature, plus keyEncipherment when asked (an RSA key whose spec.usages list it). */
  extensionsFor(eku: readonly ExtKeyUsageName[], keyUsage: { readonly keyEncipherment: boolean }): LeafExtensions;
}

/**
 * The CA that signs for a CA name now: during a CA rotation the next CA from sign-new on
 * (docs/ca-rotation.md). `undefined` when the config has no such CA.
 */
export type KubeletCaLookup = (name: CaName) => Promise<KubeletCa | undefined>;
