// One reconcile pass: list, decide and write for every unsettled CSR, then return. The scheduled
// Lambda runs this; it takes the same Lease as the Deployment, so a sweep and a running controller
// (or two overlapping sweeps) never sign the same CSR.
import { nodeStatusAddressSource } from "./address-source.js";
import { createCsrApi } from "./csr-api.js";
import { settledReason } from "./decide.js";
import type { Decision } from "./decision.js";
import { LeaderElector } from "./leader-election.js";
import { recordAllUnwritten } from "./apply.js";
import { reconcile } from "./reconcile.js";
import { DEFAULT_KUBELET_WORKERS, type KubeletRunDeps } from "./signing-deps.js";
import { UnwrittenCertificates } from "./unwritten-certificates.js";

export interface SweepDeps extends KubeletRunDeps {
  readonly concurrency?: number;
}

export interface SweepSummary {
  /** False when another replica held the Lease: nothing was done. */
  readonly leader: boolean;
  readonly listed: number;
  /** Per CSR, the last step taken: an approved-then-signed CSR counts once, as sign. */
  readonly outcomes: Readonly<Record<Decision["kind"], number>>;
  /** CSRs left for the next pass after a transient failure (apiserver, KMS, audit store). */
  readonly errors: number;
}

export async function runSweep(deps: SweepDeps): Promise<SweepSummary> {
  const outcomes: Record<Decision["kind"], number> = { approve: 0, deny: 0, sign: 0, fail: 0, skip: 0 };
  const le = deps.policy.leaderElection;
  const elector = le.enabled
    ? new LeaderElector(deps.kubeConfig, {
        namespace: le.namespace,
        leaseName: le.leaseName,
        identity: deps.identity,
        leaseDurationMs: le.leaseDurationSeconds * 1000,
        renewDeadlineMs: le.renewDeadlineSeconds * 1000,
        retryPeriodMs: le.retryPeriodSeconds * 1000,
        now: deps.now,
        log: deps.log,
      })
    : undefined;
  if (elector && !(await elector.acquireOnce())) {
    deps.log.info("another replica holds the lease; sweep skipped", { lease: le.leaseName });
    return { leader: false, listed: 0, outcomes, errors: 0 };
  }
  elector?.start(); // keeps renewing while the pass runs; stop() releases
  const api = createCsrApi(deps.kubeConfig);
  let errors = 0;
  let listed = 0;
  try {
    const { items } = await api.list();
    listed = items.length;
    const pending = items.filter((c) => !settledReason(c));
    outcomes.skip += items.length - pending.length;
    const deps2 = {
      ...deps,
      api,
      fence: () => elector?.fence(),
      addressSource: deps.addressSource ?? nodeStatusAddressSource,
      readNode: (name: string) => api.readNode(name),
      unwritten: new UnwrittenCertificates(),
    };
    let next = 0;
    const worker = async () => {
      while (next < pending.length) {
        const csr = pending[next++]!;
        try {
          outcomes[(await reconcile(csr, deps2)).outcome]++;
        } catch (e) {
          errors++;
          deps.log.warn("csr left for the next pass", { csr: csr.metadata?.name, error: String((e as Error)?.message ?? e) });
        }
      }
    };
    await Promise.all(Array.from({ length: deps.concurrency ?? DEFAULT_KUBELET_WORKERS }, worker));
    // One pass reconciles each CSR once: a certificate whose write failed is not retried here.
    await recordAllUnwritten("the sweep pass ended before it could write it; the next pass signs anew", deps2).catch((e) =>
      deps.log.warn("could not record unwritten certificates", { error: String((e as Error)?.message ?? e) }),
    );
  } finally {
    api.closeIdle();
    await elector?.stop();
  }
  return { leader: true, listed, outcomes, errors };
}
