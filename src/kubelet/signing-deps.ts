// What both ways of running the kubelet signer (the watching controller and the one-pass sweep) need:
// one shape, so a setting added for one reaches the other.
import type { KubeConfig } from "@kubernetes/client-node";
import type { AuditLog } from "../audit/types.js";
import type { KubeletMetrics } from "../metrics/index.js";
import type { AddressSource } from "./address-source.js";
import type { KubeletCaLookup } from "./kubelet-ca.js";
import type { KubeletLog } from "./kubelet-log.js";
import type { KubeletPolicy } from "./kubelet-policy.js";

/** What the signer decides and signs with, built from the config (openKubeletSigner). */
export interface KubeletSigning {
  readonly policy: KubeletPolicy;
  readonly cas: KubeletCaLookup;
  readonly audit: AuditLog;
  /** Where Node addresses come from; default: the Node's own status. */
  readonly addressSource?: AddressSource;
  readonly serial: () => Uint8Array;
  readonly now: () => Date;
  /** Decisions, signer failures and watch restarts are counted here (default: nowhere). */
  readonly metrics?: KubeletMetrics;
}

/** KubeletSigning plus where it runs: the cluster, the log, this replica's Lease identity. */
export interface KubeletRunDeps extends KubeletSigning {
  readonly kubeConfig: KubeConfig;
  readonly log: KubeletLog;
  /** spec.holderIdentity of this replica. */
  readonly identity: string;
}

/**
 * CSRs reconciled at once. Each waits mostly on the apiserver and on the audit log's fsync, which group
 * commit shares among the appends that arrive together, so more in flight means more records per
 * fsync. 1,000 pending CSRs from leadership (npm run bench -- kubelet, durable file audit, same runs,
 * with kept connections, the Node cache and no CSR GET): 16 → 4.22 / 3.32 s, 32 → 3.47 / 2.81 s and
 * 10.6 records per fsync instead of 5.8; 64 was no better (2.82 / 3.78 s: the event loop is busy).
 */
export const DEFAULT_KUBELET_WORKERS = 32;
