// The composition root of the in-cluster signer: Lease → (while leading) CSR watcher and Node cache
// → work queue → reconcile. Nothing here decides; it only wires and starts/stops the parts.
//
// Ready means: this replica reaches the apiserver, and holds the Lease with its CSR list synced, or
// can read the Lease (a standby, ready to take over). With leader election the Lease is read every
// retryPeriod, so a replica is not ready once it has not read or written it for leaseDurationSeconds
// (15 s by default). Without leader election the watch is the contact: not ready once neither a list
// nor a watch event (bookmarks come about once a minute) has arrived for CONTACT_WITHOUT_LEASE_MS.
import type { V1CertificateSigningRequest } from "@kubernetes/client-node";
import { nodeStatusAddressSource } from "./address-source.js";
import { createCsrApi, type CsrApi } from "./csr-api.js";
import { CSR_PATH, ListWatcher } from "./list-watcher.js";
import { settledReason } from "./decide.js";
import { LeaderElector } from "./leader-election.js";
import { NodeCache } from "./node-cache.js";
import { recordAllUnwritten, recordUnwritten } from "./apply.js";
import { reconcile, type ReconcileDeps } from "./reconcile.js";
import { DEFAULT_KUBELET_WORKERS, type KubeletRunDeps } from "./signing-deps.js";
import { UnwrittenCertificates } from "./unwritten-certificates.js";
import { UntouchedCsrs } from "./untouched-csrs.js";
import { WorkQueue } from "./work-queue.js";

/** Without leader election: how long the watch may stay silent (bookmarks come about once a minute). */
export const CONTACT_WITHOUT_LEASE_MS = 90_000;

export interface KubeletControllerDeps extends KubeletRunDeps {
  readonly workers?: number;
  /** Test and bench overrides of the config's second-granular timings. */
  readonly timingsMs?: Partial<{ lease: number; renewDeadline: number; retryPeriod: number; resync: number; watchRetry: number; backoffBase: number; contactWithoutLease: number }>;
}


export interface KubeletController {
  start(): void;
  /** Stop work, wait for in-flight CSRs, release the Lease. */
  stop(): Promise<void>;
  /** Holds the Lease (always true without leader election). */
  readonly leading: boolean;
  /** Reaches the apiserver and holds the Lease (list synced) or can read it; see the header. */
  ready(): boolean;
  /** Resolves when the queue is empty (tests, bench). */
  drained(): Promise<void>;
  /** CSRs queued or in flight (0 while not leading). */
  queueDepth(): number;
  /** The Node cache answers (leading, listed, watch live): Node checks cost no GET (tests). */
  nodesCached(): boolean;
  readonly api: CsrApi;
}

export function createKubeletController(deps: KubeletControllerDeps): KubeletController {
  const t = deps.timingsMs ?? {};
  const le = deps.policy.leaderElection;
  const api = createCsrApi(deps.kubeConfig);
  const leaseDurationMs = t.lease ?? le.leaseDurationSeconds * 1000;
  const elector = le.enabled
    ? new LeaderElector(deps.kubeConfig, {
        namespace: le.namespace,
        leaseName: le.leaseName,
        identity: deps.identity,
        leaseDurationMs,
        renewDeadlineMs: t.renewDeadline ?? le.renewDeadlineSeconds * 1000,
        retryPeriodMs: t.retryPeriod ?? le.retryPeriodSeconds * 1000,
        now: deps.now,
        log: deps.log,
      })
    : undefined;
  // The resourceVersions this replica's own CSR writes produced, by CSR: their watch events bring
  // nothing the worker that wrote them did not already act on (it signs on the approval's answer),
  // so they queue no second pass (a GET and a reconcile per CSR).
  const ownWrites = new Map<string, Set<string>>();
  // The events of a CSR that came while this replica was writing it: the write's own event can come
  // before its answer (the apiserver does not order the two), so they are weighed once the answer is in.
  const duringWrite = new Map<string, V1CertificateSigningRequest[]>();
  const isOwn = (name: string, csr: V1CertificateSigningRequest) => {
    const rvs = ownWrites.get(name);
    const rv = csr.metadata?.resourceVersion;
    if (!rvs || !rv || !rvs.delete(rv)) return false;
    if (rvs.size === 0) ownWrites.delete(name);
    return true;
  };
  const needsPass = (name: string, csr: V1CertificateSigningRequest) => !isOwn(name, csr) && !settledReason(csr);
  const ownWrite = async (csr: V1CertificateSigningRequest, write: (csr: V1CertificateSigningRequest) => Promise<V1CertificateSigningRequest>) => {
    const name = csr.metadata?.name ?? "";
    duringWrite.set(name, []);
    try {
      const out = await write(csr);
      const rv = out.metadata?.resourceVersion;
      if (rv) ownWrites.set(name, (ownWrites.get(name) ?? new Set()).add(rv));
      return out;
    } finally {
      const seen = duringWrite.get(name) ?? [];
      duringWrite.delete(name);
      if (seen.some((event) => needsPass(name, event))) parts?.queue.add(name);
    }
  };
  const reconcileDeps: ReconcileDeps = {
    api: {
      ...api,
      replaceApproval: (csr) => ownWrite(csr, api.replaceApproval),
      replaceStatus: (csr) => ownWrite(csr, api.replaceStatus),
    },
    audit: deps.audit,
    cas: deps.cas,
    serial: deps.serial,
    fence: () => elector?.fence(),
    policy: deps.policy,
    addressSource: deps.addressSource ?? nodeStatusAddressSource,
    readNode: (name) => api.readNode(name),
    // While leading (node-cache.ts and reconcile.ts say why the checks stay as strict).
    cachedNode: (name) => parts?.nodes.get(name),
    now: deps.now,
    log: deps.log,
    unwritten: new UnwrittenCertificates(),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  };
  let parts: { queue: WorkQueue; watcher: ListWatcher<V1CertificateSigningRequest>; nodes: NodeCache } | undefined;

  const startWork = () => {
    const untouched = new UntouchedCsrs();
    const queue = new WorkQueue(
      async (name) => {
        // A copy the live watch showed untouched (untouched-csrs.ts says why that is safe), else a fresh read.
        const csr = (watcher.live ? untouched.take(name) : undefined) ?? (await api.read(name));
        if (!csr) {
          await recordUnwritten(name, undefined, "the CSR was deleted", reconcileDeps);
          return undefined;
        }
        const r = await reconcile(csr, reconcileDeps);
        return r.requeueAfterSeconds === undefined ? undefined : r.requeueAfterSeconds * 1000;
      },
      { concurrency: deps.workers ?? DEFAULT_KUBELET_WORKERS, baseBackoffMs: t.backoffBase ?? 500, maxBackoffMs: 5 * 60_000, log: deps.log },
    );
    const resyncMs = t.resync ?? deps.policy.resyncSeconds * 1000;
    const retryMs = t.watchRetry ?? 1000;
    const nodes = new NodeCache(deps.kubeConfig, () => api.listNodes(), { resyncMs, retryMs, log: deps.log });
    const watcher = new ListWatcher<V1CertificateSigningRequest>(deps.kubeConfig, CSR_PATH, () => api.list(), {
      kind: "csr",
      resyncMs,
      retryMs,
      log: deps.log,
      onChange: (name, csr) => {
        untouched.offer(name, csr);
        const writing = duringWrite.get(name);
        if (writing) writing.push(csr);
        else if (needsPass(name, csr)) queue.add(name);
      },
      onDelete: (name) => {
        untouched.forget(name);
        ownWrites.delete(name);
        duringWrite.delete(name);
        queue.forget(name);
        // A certificate signed for it and not written yet: one more pass records it as unwritten.
        if (reconcileDeps.unwritten.get(name)) queue.add(name);
      },
      onWatchEnd: (end) => deps.metrics?.watchRestart(end),
    });
    parts = { queue, watcher, nodes };
    nodes.start();
    queue.start();
    watcher.start();
  };
  const stopWork = async () => {
    const p = parts;
    parts = undefined;
    if (!p) return;
    await p.watcher.stop();
    await p.queue.stop();
    await p.nodes.stop();
    await recordAllUnwritten("kubeca stopped leading before it could write it; the next leader signs anew", reconcileDeps).catch((e) =>
      deps.log.warn("could not record unwritten certificates", { error: String((e as Error)?.message ?? e) }),
    );
    api.closeIdle();
  };

  return {
    api,
    get leading() {
      return elector ? elector.isLeader() : parts !== undefined;
    },
    start() {
      if (elector) elector.start({ onStartedLeading: startWork, onStoppedLeading: stopWork });
      else startWork();
    },
    async stop() {
      if (elector) await elector.stop();
      await stopWork();
    },
    ready() {
      if (!elector) return parts !== undefined && parts.watcher.reachedWithin(t.contactWithoutLease ?? CONTACT_WITHOUT_LEASE_MS);
      if (!elector.reachedLeaseWithin(leaseDurationMs)) return false;
      return parts === undefined ? true : parts.watcher.hasSynced;
    },
    async drained() {
      await parts?.queue.drained();
    },
    queueDepth() {
      return parts?.queue.length ?? 0;
    },
    nodesCached() {
      return parts?.nodes.live ?? false;
    },
  };
}
