// Builds ParsedCsr values as the CSR reader would hand them to policy: plain objects, no crypto.
// Default: an empty subject, no SANs, an RSA-2048 key (kubeadm's default); modifiers add the rest.
import type { ForeignName, KeyAlgorithm, ParsedCsr } from "../../src/pki/types.js";

type Draft = { -readonly [K in keyof ParsedCsr]: ParsedCsr[K] };
export type CsrMod = (d: Draft) => void;

const dummy = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);

export const cn = (...values: string[]): CsrMod => (d) => { d.commonNames = values; };
export const org = (...values: string[]): CsrMod => (d) => { d.organizations = values; };
export const dns = (...names: string[]): CsrMod => (d) => { d.dnsNames = names; };
export const ips = (...addresses: string[]): CsrMod => (d) => { d.ipAddresses = addresses; };
export const key = (k: KeyAlgorithm): CsrMod => (d) => { d.keyAlgorithm = k; };
export const subjectAttribute = (type: string, value: string): CsrMod => (d) => {
  d.otherSubjectAttributes = [...d.otherSubjectAttributes, { type, value } satisfies ForeignName];
};
export const otherSan = (type: string, value: string): CsrMod => (d) => {
  d.otherNames = [...d.otherNames, { type, value } satisfies ForeignName];
};

export const rsa = (bits: number): KeyAlgorithm => ({ type: "rsa", bits });
export const ec = (curve: string): KeyAlgorithm => ({ type: "ec", curve });
export const ed25519: KeyAlgorithm = { type: "ed25519" };

export function buildCsr(...mods: CsrMod[]): ParsedCsr {
  const d: Draft = {
    der: dummy(1),
    sha256: "11".repeat(32),
    commonNames: [],
    organizations: [],
    otherSubjectAttributes: [],
    subjectDer: dummy(2),
    subjectEmpty: true,
    spkiDer: dummy(3),
    publicKeySha256: "33".repeat(32),
    keyAlgorithm: rsa(2048),
    dnsNames: [],
    ipAddresses: [],
    otherNames: [],
    sanDer: undefined,
  };
  for (const m of mods) m(d);
  d.subjectEmpty = d.commonNames.length + d.organizations.length + d.otherSubjectAttributes.length === 0;
  d.sanDer = d.dnsNames.length + d.ipAddresses.length + d.otherNames.length > 0 ? dummy(4) : undefined;
  return Object.freeze(d);
}
