// How a kubelet CSR decision reads in the audit log: who asked (the CSR's requester), for what
// (names, key), and the reason — the same string as the condition reason.
import type { V1CertificateSigningRequest } from "@kubernetes/client-node";
import type { AuditEvent, AuditEventType, AuditFailure, AuditRequest, AuditResult } from "../audit/types.js";
import type { Violation } from "../errors/index.js";
import type { IssuedCertificate, ParsedCsr } from "../pki/types.js";
import { nodeNameOf } from "./serving-checks.js";
import { keyAlgorithmName } from "./shape-checks.js";

export interface KubeletAuditInput {
  readonly event: AuditEventType;
  readonly csr: V1CertificateSigningRequest;
  readonly parsed: ParsedCsr | undefined;
  readonly reason: string;
  readonly message: string;
  readonly violations?: readonly Violation[];
  readonly issued?: { readonly certificate: IssuedCertificate; readonly issuer: string };
  /** signing-failed only: which CA, the code and the reason (audit/signing-failure.ts). */
  readonly failure?: AuditFailure;
}

export function kubeletAuditEvent(input: KubeletAuditInput): AuditEvent {
  const { csr, parsed } = input;
  const username = csr.spec.username;
  const request: AuditRequest = {
    file: csr.metadata?.name,
    profile: csr.spec.signerName,
    csrSha256: parsed?.sha256,
    publicKeySha256: parsed?.publicKeySha256,
    keyAlgorithm: parsed ? (keyAlgorithmName(parsed.keyAlgorithm) ?? parsed.keyAlgorithm.type) : undefined,
    subject: parsed ? subjectText(parsed) : undefined,
    dnsNames: parsed?.dnsNames ?? [],
    ipAddresses: parsed?.ipAddresses ?? [],
  };
  const result: AuditResult | undefined = input.issued && {
    serial: input.issued.certificate.serialHex,
    issuer: input.issued.issuer,
    notBefore: input.issued.certificate.notBefore.toISOString(),
    notAfter: input.issued.certificate.notAfter.toISOString(),
    certificateSha256: input.issued.certificate.sha256,
  };
  return {
    event: input.event,
    requestId: csr.metadata?.uid,
    actor: { method: "kubernetes-csr", identity: username, node: nodeNameOf(username), sourceIp: undefined, userAgent: undefined },
    request,
    ...(result ? { result } : {}),
    ...(input.violations && input.violations.length > 0 ? { violations: input.violations } : {}),
    ...(input.failure ? { failure: input.failure } : {}),
    message: `${input.reason}: ${input.message}`,
  };
}

function subjectText(p: ParsedCsr): string {
  return [...p.commonNames.map((v) => `CN=${v}`), ...p.organizations.map((v) => `O=${v}`)].join(",");
}
