// Does the CSR subject say exactly what kubeadm writes for this file, node and version (spec §1.2, §1.4, §2.1)?
import type { KubernetesVersion, Profile } from "../kubeadm/index.js";
import { expectedCommonName, expectedOrganizations } from "../kubeadm/index.js";
import type { ParsedCsr } from "../pki/types.js";
import { violation, type PolicyViolation } from "./rules.js";

const quote = (s: string): string => JSON.stringify(s);
const describeO = (list: readonly string[]): string => (list.length === 0 ? "no O" : `O ${list.map(quote).join(", ")}`);

/** Same values, order ignored; a repeated value counts. */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((v, i) => v === y[i]);
}

function commonNameViolations(csr: ParsedCsr, profile: Profile, node: string): PolicyViolation[] {
  const expected = expectedCommonName(profile, node);
  const cns = csr.commonNames;
  if (cns.length === 1 && cns[0] === expected) return [];
  const found =
    cns.length === 0 ? "the subject has no CN" : cns.length === 1 ? `CN ${quote(cns[0] ?? "")} is wrong` : `the subject has ${cns.length} CNs (${cns.map(quote).join(", ")})`;
  return [violation("subject.CN", "common-name-mismatch", `${found}: kubeadm writes exactly CN ${quote(expected)} for ${profile.name} on ${node}`)];
}

function organizationViolations(csr: ParsedCsr, profile: Profile, version: KubernetesVersion): PolicyViolation[] {
  const expected = expectedOrganizations(profile, version);
  const got = csr.organizations;
  if (sameList(got, expected)) return [];
  // The 1.29 change (spec §5) is the usual cause: name it when the CSR carries the other era's list.
  const before = profile.organizations.before1_29;
  const from = profile.organizations.from1_29;
  const hint =
    sameList(got, before) && !sameList(before, expected)
      ? ` (${describeO(got)} is what kubeadm wrote before 1.29)`
      : sameList(got, from) && !sameList(from, expected)
        ? ` (${describeO(got)} is what kubeadm writes from 1.29 on)`
        : "";
  return [
    violation(
      "subject.O",
      "organization-mismatch",
      `${describeO(got)} does not match ${profile.name} for Kubernetes ${version.text}: kubeadm writes exactly ${describeO(expected)}${hint}`,
    ),
  ];
}

function foreignAttributeViolations(csr: ParsedCsr): PolicyViolation[] {
  return csr.otherSubjectAttributes.map((a) =>
    violation(
      `subject.${a.type}`,
      "subject-attribute-not-allowed",
      `subject attribute ${a.type}=${quote(a.value)} is not allowed: kubeadm CSRs carry only CN and O`,
    ),
  );
}

export function subjectViolations(csr: ParsedCsr, profile: Profile, node: string, version: KubernetesVersion): PolicyViolation[] {
  return [
    ...commonNameViolations(csr, profile, node),
    ...organizationViolations(csr, profile, version),
    ...foreignAttributeViolations(csr),
  ];
}
