// Decision → audit record → apiserver write, in that order (fail closed: a rejected append leaves
// the CSR untouched for the next pass). Approval goes through /approval, certificate and Failed
// through /status; a 409 is retried on a fresh copy, re-checking that the write is still due. A
// certificate is signed once per CSR: one whose write failed is written again on the next pass
// (unwritten-certificates.ts), and one that can no longer be written is recorded as unwritten.
import type { V1CertificateSigningRequest, V1CertificateSigningRequestCondition } from "@kubernetes/client-node";
import { signingFailure } from "../audit/index.js";
import type { AuditLog } from "../audit/types.js";
import { KubecaError, isKubecaError, type ErrorCode } from "../errors/index.js";
import { NO_METRICS, type KubeletDecision, type KubeletMetrics, type KubeletSignerName } from "../metrics/index.js";
import type { IssuedCertificate, ParsedCsr } from "../pki/types.js";
import { isConflict } from "./api-errors.js";
import { kubeletAuditEvent } from "./audit-event.js";
import { hasCertificate, hasCondition, type ConditionType } from "./csr-conditions.js";
import type { CsrApi } from "./csr-api.js";
import type { Decision } from "./decision.js";
import type { KubeletCaLookup } from "./kubelet-ca.js";
import { KUBELET_SERVING_SIGNER, Reasons } from "./reasons.js";
import type { UnwrittenCertificate, UnwrittenCertificates } from "./unwritten-certificates.js";

/**
 * Issuing errors no retry can fix for this CSR: they end in a Failed condition. Everything else
 * (KMS throttled or down, audit store down, apiserver errors) is transient and retried with backoff.
 */
const PERMANENT_SIGNING_ERRORS: ReadonlySet<ErrorCode> = new Set(["KUBECA_CA_INVALID", "KUBECA_CSR_MALFORMED", "KUBECA_CSR_SIGNATURE_INVALID"]);

export interface ApplyDeps {
  readonly api: CsrApi;
  readonly audit: AuditLog;
  readonly cas: KubeletCaLookup;
  /** Serial source (pki randomSerial in production; pinned in tests). */
  readonly serial: () => Uint8Array;
  /** Throws when this replica may no longer write (lost its Lease). Called before each write. */
  readonly fence: () => void;
  /** Conflicts retried per write before the CSR is handed back to the queue. */
  readonly conflictRetries?: number;
  /** Each decision is counted once its audit record is stored (default: nowhere). */
  readonly metrics?: KubeletMetrics;
  /** Certificates signed and recorded whose write has not landed: written again, never signed twice. */
  readonly unwritten: UnwrittenCertificates;
}

function signerOf(csr: V1CertificateSigningRequest): KubeletSignerName {
  return csr.spec.signerName === KUBELET_SERVING_SIGNER ? "kubelet-serving" : "kubelet-client";
}

function counted(deps: ApplyDeps, csr: V1CertificateSigningRequest, decision: KubeletDecision, reason: string): void {
  (deps.metrics ?? NO_METRICS).kubeletCsr(signerOf(csr), decision, reason);
}

export type Applied =
  | { readonly written: true; readonly csr: V1CertificateSigningRequest }
  /** Nothing written: the CSR vanished or changed state under us; the next event reconciles it. */
  | { readonly written: false; readonly why: string };

type Writable = Exclude<Decision, { kind: "skip" }>;

export async function apply(
  csr: V1CertificateSigningRequest,
  decision: Writable,
  parsed: ParsedCsr | undefined,
  now: Date,
  deps: ApplyDeps,
): Promise<Applied> {
  switch (decision.kind) {
    case "approve":
    case "deny": {
      // A replica that lost its Lease records nothing: its decision would never be written.
      deps.fence();
      const event = decision.kind === "approve" ? "kubelet-csr-approved" : "kubelet-csr-denied";
      const violations = decision.kind === "deny" ? decision.violations : undefined;
      await deps.audit.append(kubeletAuditEvent({ event, csr, parsed, reason: decision.reason, message: decision.message, violations }));
      counted(deps, csr, decision.kind === "approve" ? "approved" : "denied", decision.reason);
      const type = decision.kind === "approve" ? "Approved" : "Denied";
      return write(csr, deps, "approval", (c) => (decided(c) ? undefined : addCondition(c, type, decision.reason, decision.message, now)));
    }
    case "fail": {
      deps.fence();
      await deps.audit.append(
        kubeletAuditEvent({ event: "refused", csr, parsed, reason: decision.reason, message: `Failed: ${decision.message}`, violations: decision.violations }),
      );
      counted(deps, csr, "failed", decision.reason);
      return write(csr, deps, "status", (c) => (signable(c) ? addCondition(c, "Failed", decision.reason, decision.message, now) : undefined));
    }
    case "sign": {
      if (!parsed) throw new KubecaError("KUBECA_INTERNAL", "sign decided without a parsed CSR");
      const name = csr.metadata?.name ?? "";
      const kept = deps.unwritten.get(name);
      // A certificate this run signed and recorded, whose write failed: written again, not signed anew.
      if (kept && kept.csr.metadata?.uid === csr.metadata?.uid && kept.certificate.notAfter > now) return writeCertificate(csr, kept, deps);
      if (kept) await recordUnwritten(name, undefined, kept.certificate.notAfter > now ? "the CSR was re-created under its name" : "it expired before it could be written", deps);
      const ca = await deps.cas(decision.ca);
      if (!ca) throw new KubecaError("KUBECA_CONFIG_INVALID", `kubeletSigner: no CA named ${decision.ca} under cas`);
      deps.fence();
      let certificate: IssuedCertificate;
      try {
        certificate = await ca.issuer.issue({
          csr: parsed,
          extensions: ca.extensionsFor([decision.eku], { keyEncipherment: decision.keyEncipherment }),
          serial: deps.serial(),
          now,
          validitySeconds: decision.validitySeconds,
        });
      } catch (e) {
        // Recorded as the issuance pipeline records it, before anything else happens to the CSR: a
        // transient failure leaves no other trace (the CSR is retried), a permanent one is Failed below.
        await deps.audit.append(kubeletAuditEvent({ event: "signing-failed", csr, parsed, reason: Reasons.SigningFailed, ...signingFailure(ca.name, e) }));
        (deps.metrics ?? NO_METRICS).signerFailure(ca.name, isKubecaError(e) ? e.code : "KUBECA_INTERNAL");
        if (!isKubecaError(e) || !PERMANENT_SIGNING_ERRORS.has(e.code)) throw e;
        const violation = { field: `ca.${ca.name}`, rule: Reasons.SigningFailed, message: e.detail };
        return apply(csr, { kind: "fail", reason: Reasons.SigningFailed, message: `${Reasons.SigningFailed}: ${e.detail}`, violations: [violation] }, parsed, now, deps);
      }
      await deps.audit.append(
        kubeletAuditEvent({
          event: decision.event,
          csr,
          parsed,
          reason: decision.reason,
          message: `serial ${certificate.serialHex} until ${certificate.notAfter.toISOString()}`,
          issued: { certificate, issuer: ca.name },
        }),
      );
      counted(deps, csr, "signed", decision.reason);
      const signed = { csr, parsed, certificate, issuer: ca.name, statusCertificate: Buffer.from(certificate.pem, "utf8").toString("base64") };
      deps.unwritten.keep(name, signed);
      return writeCertificate(csr, signed, deps);
    }
  }
}

/**
 * Write a recorded certificate to status. Landed: forgotten. The CSR no longer takes it: recorded as
 * unwritten. Failed (apiserver error, lost Lease): kept, so the next pass writes this one again.
 */
async function writeCertificate(csr: V1CertificateSigningRequest, signed: UnwrittenCertificate, deps: ApplyDeps): Promise<Applied> {
  const name = csr.metadata?.name ?? "";
  // Never a second certificate: if one appeared meanwhile, ours is dropped unwritten.
  const applied = await write(csr, deps, "status", (c) => (signable(c) && hasCondition(c, "Approved") ? withCertificate(c, signed.statusCertificate) : undefined));
  if (applied.written) deps.unwritten.delete(name);
  else await recordUnwritten(name, undefined, applied.why, deps);
  return applied;
}

/**
 * Forget the certificate this run signed for CSR `name` and could not write, recording that it was
 * never written, unless `current` (the CSR as read now) shows it landed after all. Not fenced: it
 * corrects this replica's own earlier record, whoever holds the Lease now. The record is stored
 * before the certificate is forgotten, so a failed append leaves it for the next pass.
 */
export async function recordUnwritten(name: string, current: V1CertificateSigningRequest | undefined, why: string, deps: Pick<ApplyDeps, "audit" | "unwritten">): Promise<void> {
  const kept = deps.unwritten.get(name);
  if (!kept) return;
  const landed = current?.metadata?.uid === kept.csr.metadata?.uid && current?.status?.certificate === kept.statusCertificate;
  if (!landed) {
    await deps.audit.append(
      kubeletAuditEvent({
        event: "kubelet-csr-unwritten",
        csr: kept.csr,
        parsed: kept.parsed,
        reason: Reasons.CertificateUnwritten,
        message: `serial ${kept.certificate.serialHex} was signed and recorded but never written to the CSR, and is discarded: ${why}`,
        issued: { certificate: kept.certificate, issuer: kept.issuer },
      }),
    );
  }
  deps.unwritten.delete(name);
}

/**
 * When this run stops (Lease lost or given up, sweep pass over): every certificate it still holds
 * unwritten is recorded as such, unless a fresh read shows it landed. The next leader signs anew.
 */
export async function recordAllUnwritten(why: string, deps: Pick<ApplyDeps, "api" | "audit" | "unwritten">): Promise<void> {
  for (const name of deps.unwritten.names()) {
    const current = await deps.api.read(name).catch(() => undefined);
    await recordUnwritten(name, current, why, deps);
  }
}

/** Write `change(csr)`; on 409 re-read and ask `change` again, which returns undefined once the write is no longer due. */
async function write(
  csr: V1CertificateSigningRequest,
  deps: ApplyDeps,
  subresource: "approval" | "status",
  change: (c: V1CertificateSigningRequest) => V1CertificateSigningRequest | undefined,
): Promise<Applied> {
  const name = csr.metadata?.name ?? "";
  let current: V1CertificateSigningRequest | undefined = csr;
  for (let attempt = 0; ; attempt++) {
    const body = change(current);
    if (!body) return { written: false, why: `${name} changed state before the ${subresource} write` };
    deps.fence();
    try {
      const out = subresource === "approval" ? await deps.api.replaceApproval(body) : await deps.api.replaceStatus(body);
      return { written: true, csr: out };
    } catch (e) {
      if (!isConflict(e) || attempt >= (deps.conflictRetries ?? 5)) throw e;
    }
    current = await deps.api.read(name);
    if (!current) return { written: false, why: `${name} was deleted` };
  }
}

function decided(c: V1CertificateSigningRequest): boolean {
  return hasCondition(c, "Approved") || hasCondition(c, "Denied");
}

function signable(c: V1CertificateSigningRequest): boolean {
  return !hasCertificate(c) && !hasCondition(c, "Denied") && !hasCondition(c, "Failed");
}

function addCondition(c: V1CertificateSigningRequest, type: ConditionType, reason: string, message: string, now: Date): V1CertificateSigningRequest {
  const condition: V1CertificateSigningRequestCondition = { type, status: "True", reason, message, lastUpdateTime: now, lastTransitionTime: now };
  return { ...c, status: { ...c.status, conditions: [...(c.status?.conditions ?? []), condition] } };
}

function withCertificate(c: V1CertificateSigningRequest, pemBase64: string): V1CertificateSigningRequest {
  return { ...c, status: { ...c.status, certificate: pemBase64 } };
}
