// How far the nodes have followed a CA rotation, from the audit log: each node's newest
// node-trust-reported record since the phase began says which CAs it trusts and which CA issued each
// of its certificates. From that, whether the next step is safe:
//   trust-both → sign-new   every node trusts the next CA (else a leaf from it would be refused there)
//   sign-new   → finish     every node trusts the next CA and holds no leaf of the current one
//   trust-both → idle       (abort) no node holds a leaf of the next CA
// Gather (read the log) is apart from decide (pure), so the decision is tested without a store.
import type { AuditReader } from "../audit/index.js";
import type { AuditTrustReportCa } from "../audit/types.js";
import type { CaName, RotationPhase } from "../config/index.js";
import type { Violation } from "../errors/index.js";

/** The newest report of one node. */
export interface NodeTrustReport {
  readonly node: string;
  readonly time: string;
  readonly seq: number;
  readonly cas: readonly AuditTrustReportCa[];
}

/**
 * Newest report per node recorded after the record with seq `afterSeq` (the phase change), or every
 * report when undefined. By seq, not time: instances' clocks differ, the chain's order does not.
 */
export async function latestTrustReports(reader: AuditReader, afterSeq: number | undefined): Promise<Map<string, NodeTrustReport>> {
  const found = new Map<string, NodeTrustReport>();
  let cursor: string | undefined;
  do {
    const page = await reader.read({ event: "node-trust-reported", limit: 500, ...(cursor ? { cursor } : {}) });
    for (const r of page.records) {
      if (afterSeq !== undefined && r.seq <= afterSeq) return found;
      const node = r.actor.node;
      if (node === undefined || found.has(node) || !r.trust) continue;
      found.set(node, { node, time: r.time, seq: r.seq, cas: r.trust });
    }
    cursor = page.nextCursor;
  } while (cursor);
  return found;
}

/** One node's standing for one CA in a rotation. */
export interface NodeProgress {
  readonly node: string;
  /** Time of the report this is read from; undefined when the node has not reported since the phase began. */
  readonly reportedAt: string | undefined;
  readonly trustsCurrent: boolean;
  readonly trustsNext: boolean;
  /** Files whose certificate the current (old) CA issued, and the next (new) one. */
  readonly fromCurrent: readonly string[];
  readonly fromNext: readonly string[];
}

export function nodeProgress(node: string, report: NodeTrustReport | undefined, ca: CaName, current: string, next: string): NodeProgress {
  const entry = report?.cas.find((c) => c.name === ca);
  return {
    node,
    reportedAt: report?.time,
    trustsCurrent: entry?.trusted.includes(current) ?? false,
    trustsNext: entry?.trusted.includes(next) ?? false,
    fromCurrent: entry?.leaves.filter((l) => l.issuer === current).map((l) => l.file) ?? [],
    fromNext: entry?.leaves.filter((l) => l.issuer === next).map((l) => l.file) ?? [],
  };
}

/** Why `from → to` is not yet safe, one violation per node in the way; empty when it is. */
export function readinessViolations(ca: CaName, from: RotationPhase, to: RotationPhase, nodes: readonly NodeProgress[]): Violation[] {
  const out: Violation[] = [];
  const add = (n: NodeProgress, rule: string, message: string) => out.push({ field: `nodes.${n.node}`, rule, message: `${n.node}: ${message}` });
  for (const n of nodes) {
    if (from === "trust-both" && to === "sign-new") {
      if (!n.reportedAt) add(n, "node-not-reported", `has not reported since ${ca} entered trust-both; run kubeca renew there`);
      else if (!n.trustsNext) add(n, "next-ca-not-trusted", `does not trust the next ${ca} yet; run kubeca renew there`);
    } else if (from === "sign-new" && to === "finish") {
      if (!n.reportedAt) add(n, "node-not-reported", `has not reported since ${ca} entered sign-new; renew its certificates there (kubeadm certs generate-csr, kubeca renew)`);
      else if (!n.trustsNext) add(n, "next-ca-not-trusted", `does not trust the next ${ca}; run kubeca renew there`);
      else if (n.fromCurrent.length > 0) add(n, "leaves-from-current-ca", `still holds certificates of the current ${ca}: ${n.fromCurrent.join(", ")}; renew them there`);
    } else if (from === "trust-both" && to === "idle") {
      if (n.fromNext.length > 0) add(n, "leaves-from-next-ca", `holds certificates of the next ${ca}, which would no longer be trusted: ${n.fromNext.join(", ")}; renew them there first (the service signs with the current CA again)`);
    }
  }
  return out;
}
