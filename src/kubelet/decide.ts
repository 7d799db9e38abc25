// The decision, pure: (CSR, facts, now) → approve | deny | sign | fail | skip. A ladder of guard
// clauses like cert-manager's sync.go; approve and sign are separate rungs, so a CSR approved in
// one pass is signed in the next (which may follow at once). No I/O, no clock but `now`.
import type { V1CertificateSigningRequest } from "@kubernetes/client-node";
import type { Violation } from "../errors/index.js";
import type { ParsedCsr } from "../pki/types.js";
import { clientViolations } from "./client-checks.js";
import { hasCertificate, hasCondition } from "./csr-conditions.js";
import { violationMessage, type Decision } from "./decision.js";
import type { Facts } from "./facts.js";
import { KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, Reasons, type Reason } from "./reasons.js";
import { servingNodeViolations, servingRequestViolations } from "./serving-checks.js";

/** The API floor for spec.expirationSeconds (spec §3.2); shorter asks are raised to it. */
export const MIN_EXPIRATION_SECONDS = 600;

export function decide(csr: V1CertificateSigningRequest, facts: Facts, now: Date): Decision {
  const settled = settledReason(csr);
  if (settled) return skip(settled);
  const approved = hasCondition(csr, "Approved");
  return csr.spec.signerName === KUBELET_CLIENT_SIGNER ? decideClient(csr, facts) : decideServing(csr, facts, now, approved);
}

/**
 * Why nothing can be done for this CSR whatever the facts, or undefined. Checked before gathering,
 * so finished CSRs cost no Node read.
 */
export function settledReason(csr: V1CertificateSigningRequest): string | undefined {
  const signer = csr.spec.signerName;
  if (signer !== KUBELET_SERVING_SIGNER && signer !== KUBELET_CLIENT_SIGNER) return `signer ${signer} is not ours`;
  if (hasCertificate(csr)) return "already has a certificate";
  if (hasCondition(csr, "Denied")) return "denied";
  if (hasCondition(csr, "Failed")) return "failed";
  // kube-controller-manager's csrapproving controller decides who may have a client certificate.
  if (signer === KUBELET_CLIENT_SIGNER && !hasCondition(csr, "Approved")) {
    return "node client CSRs are approved by kube-controller-manager, never by kubeca";
  }
  return undefined;
}

function decideClient(csr: V1CertificateSigningRequest, facts: Facts): Decision {
  if (!facts.request.ok) return refuse("fail", [requestViolation(facts.request.error)]);
  const violations = clientViolations(csr, facts.request.csr, facts.policy);
  if (violations.length > 0) return refuse("fail", violations);
  return {
    kind: "sign",
    ca: "ca",
    eku: "clientAuth",
    validitySeconds: cappedValidity(facts.policy.clientValiditySeconds, csr.spec.expirationSeconds),
    keyEncipherment: keyEncipherment(csr, facts.request.csr),
    event: "node-client-csr-signed",
    reason: Reasons.ClientCertificateIssued,
  };
}

function decideServing(csr: V1CertificateSigningRequest, facts: Facts, now: Date, approved: boolean): Decision {
  if (!facts.request.ok) return refuse(approved ? "fail" : "deny", [requestViolation(facts.request.error)]);
  const parsed = facts.request.csr;
  const requestViolations = servingRequestViolations(csr, parsed, facts.policy);
  if (facts.node.state === "missing" && requestViolations.length === 0) {
    // The Node may not be registered yet; only a Node still missing after the wait is a refusal.
    const created = csr.metadata?.creationTimestamp ? new Date(csr.metadata.creationTimestamp).getTime() : now.getTime();
    const waited = (now.getTime() - created) / 1000;
    if (waited < facts.policy.nodeWaitSeconds) {
      return skip(`waiting for Node ${facts.node.name}`, Math.max(1, Math.ceil(facts.policy.nodeWaitSeconds - waited)));
    }
  }
  const violations = [...requestViolations, ...servingNodeViolations(parsed, facts.node)];
  // Signing re-runs every check: an approval by someone else never widens what kubeca signs.
  if (violations.length > 0) return refuse(approved ? "fail" : "deny", violations);
  if (!approved) {
    const node = facts.node.state === "found" ? facts.node : undefined;
    return {
      kind: "approve",
      reason: Reasons.NodeIdentityVerified,
      message: `every SAN of ${csr.spec.username} is an address of Node ${node?.name} (${node?.addresses.source})`,
    };
  }
  return {
    kind: "sign",
    ca: facts.policy.servingCa,
    eku: "serverAuth",
    validitySeconds: cappedValidity(facts.policy.servingValiditySeconds, csr.spec.expirationSeconds),
    keyEncipherment: keyEncipherment(csr, parsed),
    event: "kubelet-csr-signed",
    reason: Reasons.ServingCertificateIssued,
  };
}

/**
 * The validated spec.usages decide KeyUsage, as kube-controller-manager's signer does: digital
 * signature always, key encipherment only when asked and only for an RSA key (an ECDSA key cannot
 * encipher; kubelets before 1.27 asked for it anyway, and are signed without it).
 */
function keyEncipherment(csr: V1CertificateSigningRequest, parsed: ParsedCsr): boolean {
  return parsed.keyAlgorithm.type === "rsa" && (csr.spec.usages ?? []).includes("key encipherment");
}

/** Configured lifetime, shortened (never lengthened) by spec.expirationSeconds, never below 600 s. */
export function cappedValidity(configured: number, expirationSeconds: number | undefined): number {
  if (expirationSeconds === undefined) return configured;
  return Math.min(configured, Math.max(MIN_EXPIRATION_SECONDS, expirationSeconds));
}

function requestViolation(error: string): Violation {
  return { field: "spec.request", rule: Reasons.CsrInvalid, message: error };
}

function refuse(kind: "deny" | "fail", violations: readonly Violation[]): Decision {
  // The condition carries one reason: the first broken rule in check order; the message has them all.
  const reason = (violations[0]?.rule ?? Reasons.CsrInvalid) as Reason;
  return { kind, reason, message: violationMessage(violations), violations };
}

function skip(why: string, requeueAfterSeconds?: number): Decision {
  return requeueAfterSeconds === undefined ? { kind: "skip", why } : { kind: "skip", why, requeueAfterSeconds };
}
