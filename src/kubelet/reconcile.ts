// One CSR, start to finish: settled? → gather → decide → apply. After an approval the fresh object
// goes round once more, so approve and sign stay separate steps without waiting for the watch. That
// second round decides again, every check included, over the facts gathered for the approval a moment
// before (the same spec.request, the same Node read): reading and parsing them twice cost a Node GET and
// a CSR signature check per certificate (issue 11: 1,000 pending CSRs in ≤ 5 s).
// A CSR holding a certificate signed earlier and not written (apply.ts) that settles or is now
// refused gets that certificate recorded as unwritten.
import type { V1CertificateSigningRequest } from "@kubernetes/client-node";
import { apply, recordUnwritten, type ApplyDeps } from "./apply.js";
import { decide, settledReason } from "./decide.js";
import type { Decision } from "./decision.js";
import type { Facts } from "./facts.js";
import { gather, withFreshNode, type GatherDeps } from "./gather.js";
import type { KubeletLog } from "./kubelet-log.js";

export interface ReconcileDeps extends ApplyDeps, GatherDeps {
  readonly now: () => Date;
  readonly log: KubeletLog;
}

export interface ReconcileResult {
  /** What the last step decided ("skip" when it was settled or waiting). */
  readonly outcome: Decision["kind"];
  readonly requeueAfterSeconds?: number;
}

export async function reconcile(csr: V1CertificateSigningRequest, deps: ReconcileDeps): Promise<ReconcileResult> {
  const name = csr.metadata?.name ?? "";
  let current = csr;
  let gathered: { readonly request: string | undefined; readonly facts: Facts } | undefined;
  for (let step = 0; step < 3; step++) {
    const settled = settledReason(current);
    if (settled) {
      // A certificate this run signed for it and could not write is not needed any more (or landed).
      await recordUnwritten(name, current, `the CSR is settled: ${settled}`, deps);
      deps.log.debug("csr settled", { csr: name, why: settled });
      return { outcome: step === 0 ? "skip" : "approve" };
    }
    let facts = gathered?.request === current.spec.request ? gathered.facts : await gather(current, deps);
    const now = deps.now();
    let decision = decide(current, facts, now);
    if ((decision.kind === "deny" || decision.kind === "fail") && facts.node.state === "found" && facts.node.cached) {
      // Never refused on the Node cache alone: a kubelet asks for a new certificate right after its
      // addresses change, and the CSR's event may come before the Node's. Read the Node and decide again.
      facts = await withFreshNode(current, facts, deps);
      decision = decide(current, facts, now);
    }
    gathered = { request: current.spec.request, facts };
    if (decision.kind === "skip") {
      deps.log.debug("csr skipped", { csr: name, why: decision.why });
      return decision.requeueAfterSeconds === undefined ? { outcome: "skip" } : { outcome: "skip", requeueAfterSeconds: decision.requeueAfterSeconds };
    }
    if (decision.kind !== "sign") await recordUnwritten(name, current, `kubeca now decides ${decision.kind} (${decision.reason})`, deps);
    const applied = await apply(current, decision, facts.request.ok ? facts.request.csr : undefined, now, deps);
    deps.log.info(`csr ${decision.kind}`, {
      csr: name,
      signer: current.spec.signerName,
      ...("reason" in decision ? { reason: decision.reason } : {}),
      ...(applied.written ? {} : { unwritten: applied.why }),
    });
    if (!applied.written || decision.kind !== "approve") return { outcome: decision.kind };
    current = applied.csr;
  }
  return { outcome: "approve" };
}
