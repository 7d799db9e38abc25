// Checks both signers share: subject O, stray subject attributes, usages, key algorithm. Each
// returns one violation per offending value, so a Denied message names them all.
import type { KeyAlgorithmName } from "../config/index.js";
import type { Violation } from "../errors/index.js";
import type { KeyAlgorithm, ParsedCsr } from "../pki/types.js";
import { NODES_GROUP, Reasons } from "./reasons.js";

/** Usage sets KCM's signers accept (spec §3.3): with key encipherment (RSA keys), or without (EC keys, 1.25+). */
export const SERVING_USAGE_SETS: readonly (readonly string[])[] = [
  ["digital signature", "server auth"],
  ["digital signature", "key encipherment", "server auth"],
];
export const CLIENT_USAGE_SETS: readonly (readonly string[])[] = [
  ["digital signature", "client auth"],
  ["digital signature", "key encipherment", "client auth"],
];

export function organizationViolations(csr: ParsedCsr): Violation[] {
  const o = csr.organizations;
  if (o.length === 1 && o[0] === NODES_GROUP) return [];
  return [
    {
      field: "subject.O",
      rule: Reasons.OrganizationMismatch,
      message: `subject O is [${o.join(", ")}], must be exactly [${NODES_GROUP}]`,
    },
  ];
}

export function subjectAttributeViolations(csr: ParsedCsr): Violation[] {
  return csr.otherSubjectAttributes.map((a) => ({
    field: `subject.${a.type}`,
    rule: Reasons.UnexpectedSubjectAttribute,
    message: `subject attribute ${a.type}=${a.value} is not allowed: only CN and O`,
  }));
}

/** spec.usages must equal one of `sets`, order and duplicates ignored. */
export function usageViolations(usages: readonly string[], sets: readonly (readonly string[])[], signerName: string): Violation[] {
  const asked = [...new Set(usages)].sort();
  const ok = sets.some((s) => s.length === asked.length && [...s].sort().every((u, i) => u === asked[i]));
  if (ok) return [];
  return [
    {
      field: "spec.usages",
      rule: Reasons.UsagesNotAllowed,
      message: `usages [${usages.join(", ")}] are not allowed for ${signerName}; allowed: ${sets
        .map((s) => `[${s.join(", ")}]`)
        .join(" or ")}`,
    },
  ];
}

/** The config's name for a CSR key, or undefined for keys kubeca never accepts. */
export function keyAlgorithmName(k: KeyAlgorithm): KeyAlgorithmName | undefined {
  if (k.type === "ec" && k.curve === "P-256") return "ECDSA-P256";
  if (k.type === "ec" && k.curve === "P-384") return "ECDSA-P384";
  if (k.type === "rsa" && (k.bits === 2048 || k.bits === 3072 || k.bits === 4096)) return `RSA-${k.bits}`;
  return undefined;
}

function describeKey(k: KeyAlgorithm): string {
  switch (k.type) {
    case "ec":
      return `EC ${k.curve}`;
    case "rsa":
      return `RSA ${k.bits}`;
    case "ed25519":
      return "Ed25519";
    case "unknown":
      return `key OID ${k.oid}`;
  }
}

export function keyViolations(csr: ParsedCsr, allowed: readonly KeyAlgorithmName[]): Violation[] {
  const name = keyAlgorithmName(csr.keyAlgorithm);
  if (name && allowed.includes(name)) return [];
  return [
    {
      field: "key",
      rule: Reasons.KeyAlgorithmNotAllowed,
      message: `${describeKey(csr.keyAlgorithm)} keys are not allowed; allowed: ${allowed.join(", ")}`,
    },
  ];
}
