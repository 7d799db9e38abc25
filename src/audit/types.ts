// The issuance log's record shape and the one operation the rest of kubeca needs from it.
// Every decision is appended, and the append has resolved, before any answer leaves.
import type { Violation } from "../errors/index.js";
import type { SignerFailureReason } from "../signers/signer-error.js";

export type AuditEventType =
  | "issued"
  /** The same caller sent the same CSR for the same file within the idempotency window: the certificate
   *  issued then was handed back, with no new signature. `result` is that certificate's. */
  | "reissued"
  | "refused"
  | "authentication-failed"
  | "kubelet-csr-approved"
  | "kubelet-csr-denied"
  | "kubelet-csr-signed"
  | "node-client-csr-signed"
  /** A certificate recorded as kubelet-csr-signed or node-client-csr-signed (same `result`) never reached
   *  the CSR's status and is discarded; `message` says why. No node holds it. */
  | "kubelet-csr-unwritten"
  | "ca-created"
  /** A request (or a kubelet CSR) passed every check, and its certificate could not be signed. */
  | "signing-failed"
  | "signer-mismatch"
  /** At start: a CA signs with a key the operator allowed although it can leave its token. */
  | "signer-warning"
  /** A CA rotation moved one phase (kubeca ca rotate prepare, advance, abort); `rotation` says which. */
  | "ca-rotation"
  /** A CA rotation phase change was asked for and refused; `violations` say why. */
  | "ca-rotation-refused"
  /** A node (kubeca renew) said which CAs it trusts and which CA issued each certificate it holds. */
  | "node-trust-reported"
  /** An operator retired a node gone from the cluster (`node` names it, `message` says why): its
   *  certificates leave the fleet view until one is issued to it again. */
  | "node-retired";

export interface AuditActor {
  readonly method: string;
  /** Identity label (token name, certificate subject, ARN); never a token. */
  readonly identity: string | undefined;
  readonly node: string | undefined;
  readonly sourceIp: string | undefined;
  readonly userAgent: string | undefined;
}

export interface AuditRequest {
  /** kubeadm file name as asked (`apiserver`, `etcd-server`, `admin.conf`) or the Kubernetes CSR name. */
  readonly file: string | undefined;
  readonly profile: string | undefined;
  readonly csrSha256: string | undefined;
  readonly publicKeySha256: string | undefined;
  readonly keyAlgorithm: string | undefined;
  readonly subject: string | undefined;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

export interface AuditResult {
  readonly serial: string;
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly certificateSha256: string;
}

/** One CA rotation phase change, as decided (or refused). */
export interface AuditRotation {
  /** `ca`, `etcd-ca`, `front-proxy-ca`. */
  readonly ca: string;
  /** prepare, advance or abort. */
  readonly action: string;
  readonly from: string;
  /** The phase moved to, or (refused) the phase asked for. */
  readonly to: string;
  /** SHA-256 of the CA certificate being replaced and of the one replacing it. */
  readonly current: string;
  readonly next: string;
  /** The rotation state version this change writes (refused: the version it was asked against). */
  readonly version: number;
  /** The operator overrode the readiness checks (nodes not yet reported ready). */
  readonly forced?: boolean;
}

/** What one node holds for one CA: the certificates it trusts, and the issuer of each of its leaves. */
export interface AuditTrustReportCa {
  readonly name: string;
  /** SHA-256 of each certificate in the node's CA file, in file order. */
  readonly trusted: readonly string[];
  readonly leaves: readonly { readonly file: string; readonly issuer: string; readonly serial: string; readonly notAfter: string }[];
}

/** Why signing failed: the signer's closed set of reasons, a CA that expired, or a fault of kubeca's own. */
export type SigningFailureReason = SignerFailureReason | "ca-expired" | "internal";

export interface AuditFailure {
  /** The CA whose signer failed (`ca`, `etcd-ca`, `front-proxy-ca`). */
  readonly issuer: string;
  /** The error code the caller was answered with (`KUBECA_SIGNER_UNAVAILABLE`, …). */
  readonly code: string;
  readonly reason: SigningFailureReason;
}

/** What a caller hands to the log; the store adds seq, time, id and the hashes. */
export interface AuditEvent {
  readonly event: AuditEventType;
  readonly requestId: string | undefined;
  readonly actor: AuditActor;
  readonly request?: AuditRequest;
  readonly result?: AuditResult;
  readonly violations?: readonly Violation[];
  /** ca-rotation and ca-rotation-refused only. */
  readonly rotation?: AuditRotation;
  /** node-trust-reported only: per CA, in the order of the report. */
  readonly trust?: readonly AuditTrustReportCa[];
  /** signing-failed only. */
  readonly failure?: AuditFailure;
  /** node-retired, and the refusal of a retirement: the node retired (the actor is the operator). */
  readonly node?: string;
  /** Short free text for events without a request (ca-created, signer-mismatch, signer-warning), or the failure's detail. */
  readonly message?: string;
}

export interface AuditRecord extends AuditEvent {
  readonly seq: number;
  readonly time: string;
  readonly id: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** The one write operation. Rejects with KubecaError KUBECA_AUDIT_UNAVAILABLE when the record is not durably stored. */
export interface AuditLog {
  append(event: AuditEvent): Promise<AuditRecord>;
}
