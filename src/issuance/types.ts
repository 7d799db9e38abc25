// The contract between the transports (server/, lambda/, cli/) and the issuance pipeline.
import type { AuditTrustReportCa } from "../audit/types.js";
import type { Caller, RequestOrigin } from "../auth/caller.js";
import type { KubecaError, Violation } from "../errors/index.js";
import type { RotationChange } from "./ca-rotation.js";
import type { NodeProgress } from "./rotation-status.js";
import type { CaName, RotationPhase } from "../config/index.js";

export interface SignItem {
  /** kubeadm file name: `apiserver`, `etcd/server`, `admin.conf`, or a legacy `--csr-only` name such as `etcd-server`. */
  readonly name: string;
  /** PEM text, or base64 DER. */
  readonly csr: string;
}

export interface SignResult {
  readonly name: string;
  /** Canonical profile name (the generate-csr name). */
  readonly profile: string;
  readonly issuer: CaName;
  /** Serial number, lowercase hex without leading zeros. */
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** Leaf certificate, PEM. */
  readonly certificate: string;
  /** The issuing CA's certificate, PEM. */
  readonly caCertificate: string;
}

export interface CaSummary {
  readonly name: CaName;
  /** The CA that signs new leaves now, PEM. */
  readonly certificate: string;
  /** What nodes must trust now: one or two certificates, the signing CA first, PEM. */
  readonly bundle: string;
  /** Present when the config names a next CA. */
  readonly rotation?: {
    readonly phase: RotationPhase;
    readonly current: string;
    readonly next: string;
    /** When the phase began. */
    readonly since?: string;
  };
}

/** GET /v1/ca/rotation's entry for one CA. */
export interface RotationStatus {
  readonly name: CaName;
  readonly phase: RotationPhase;
  readonly since?: string;
  /** SHA-256 of the current CA certificate, and of the next one when configured. */
  readonly current: string;
  readonly next?: string;
  /** Every listed node, and node-group members that reported; empty when idle. */
  readonly nodes: readonly NodeProgress[];
  /** The next advance and what stands in its way (empty: safe to advance). */
  readonly advance?: { readonly to: RotationPhase; readonly blocking: readonly Violation[] };
}

/** POST /v1/nodes/{name}/retire's answer: the record written and the certificates that left the fleet view. */
export interface NodeRetirement {
  readonly node: string;
  /** The node-retired record's seq and time. */
  readonly seq: number;
  readonly time: string;
  readonly certificates: readonly { readonly file: string; readonly serial: string; readonly notAfter: string }[];
}

export interface ReadinessCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface IssuanceService {
  /** Runs the whole pipeline for one item. Throws KubecaError on refusal or failure. */
  sign(caller: Caller, origin: RequestOrigin, item: SignItem): Promise<SignResult>;
  cas(): Promise<readonly CaSummary[]>;
  /** Every CA's rotation phase and how far the nodes have followed it (from the audit log). */
  rotationStatus(): Promise<readonly RotationStatus[]>;
  /** One phase change (operators only; the route checks the role). Throws KUBECA_ROTATION_REFUSED. */
  changeRotation(caller: Caller, origin: RequestOrigin, change: RotationChange): Promise<CaSummary>;
  /**
   * Records that a node gone from the cluster is retired (operators only; the route checks the role):
   * its certificates leave the fleet view. Refused (recorded, then thrown as KUBECA_NODE_RETIRE_REFUSED)
   * for a node still listed in the config, or one that holds no certificate in the log.
   */
  retireNode(caller: Caller, origin: RequestOrigin, retire: { readonly node: string; readonly reason: string }): Promise<NodeRetirement>;
  /** A node's report of what it trusts and holds, recorded in the audit log. */
  reportTrust(caller: Caller, origin: RequestOrigin, trust: readonly AuditTrustReportCa[]): Promise<void>;
  /** Records a refused credential in the audit log before the 401 is sent (fails closed like any append). */
  recordAuthenticationFailure(origin: RequestOrigin, reason: string): Promise<void>;
  /**
   * Records a request from an authenticated caller that was refused before the pipeline (its body broke
   * the schema), with the refusal's violations and the file name if it had one, before the answer.
   */
  recordRefusal(caller: Caller, origin: RequestOrigin, refusal: { readonly file: string | undefined; readonly error: KubecaError }): Promise<void>;
  /** Configuration, signers (public key == CA certificate) and the audit store. */
  readiness(): Promise<readonly ReadinessCheck[]>;
}
