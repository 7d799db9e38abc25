// apply() asks the Lease fence before it records a decision: a replica that lost its Lease can write
// nothing, so it must not leave an approval or a denial in the audit log that never reached the CSR
// (the next leader decides again and records what it writes).
import assert from "node:assert/strict";
import { test } from "node:test";
import { apply, type ApplyDeps } from "../../src/kubelet/apply.js";
import type { Decision } from "../../src/kubelet/decision.js";
import { NotLeaderError } from "../../src/kubelet/leader-election.js";
import { Reasons } from "../../src/kubelet/reasons.js";
import { UnwrittenCertificates } from "../../src/kubelet/unwritten-certificates.js";
import { NOW, parsedCsr, servingCsr } from "./decide-builders.js";
import { MemoryAuditLog } from "./memory-audit-log.js";

function lostLease(audit: MemoryAuditLog, apiCalls: string[]): ApplyDeps {
  const refuse = (what: string) => async () => {
    apiCalls.push(what);
    throw new Error(`${what} must not be called`);
  };
  return {
    api: { replaceApproval: refuse("replaceApproval"), replaceStatus: refuse("replaceStatus"), read: refuse("read") } as unknown as ApplyDeps["api"],
    audit,
    cas: async () => undefined,
    serial: () => new Uint8Array([1]),
    unwritten: new UnwrittenCertificates(),
    fence: () => {
      throw new NotLeaderError("kubeca-a");
    },
  };
}

const decisions: Exclude<Decision, { kind: "skip" | "sign" }>[] = [
  { kind: "approve", reason: Reasons.NodeIdentityVerified, message: "every name belongs to the node" },
  { kind: "deny", reason: Reasons.IpAddressNotOnNode, message: "10.0.0.11 is not cp-1's", violations: [] },
  { kind: "fail", reason: Reasons.SigningFailed, message: "no CA", violations: [] },
];
for (const decision of decisions) {
  test(`a replica without the Lease records no ${decision.kind} and writes nothing`, async () => {
    const audit = new MemoryAuditLog();
    const calls: string[] = [];
    await assert.rejects(apply(servingCsr(), decision, parsedCsr(), NOW, lostLease(audit, calls)), NotLeaderError);
    assert.deepEqual(audit.records, []);
    assert.deepEqual(calls, []);
  });
}
