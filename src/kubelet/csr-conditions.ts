// Reading a CSR's state from its conditions and status (spec §3.2).
import type { V1CertificateSigningRequest } from "@kubernetes/client-node";

export type ConditionType = "Approved" | "Denied" | "Failed";

export function hasCondition(csr: V1CertificateSigningRequest, type: ConditionType): boolean {
  return (csr.status?.conditions ?? []).some((c) => c.type === type && c.status === "True");
}

export function hasCertificate(csr: V1CertificateSigningRequest): boolean {
  return (csr.status?.certificate ?? "").length > 0;
}
