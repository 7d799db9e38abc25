// Two replicas, one Lease: only the holder signs, hand-over happens on release and on expiry,
// and a leader cut off from the Lease stops writing before anyone else may start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { certificatePem, certificateWrites, startHarness, waitFor, type Harness } from "./harness.js";

const honest = { dns: ["cp-1"], ips: ["10.0.0.10"] };

async function submitMany(h: Harness, n: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(await h.submit("node:cp-1", honest));
  return names;
}

function signedOnceEach(h: Harness, names: string[]): Map<string, string> {
  const writes = certificateWrites(h.server);
  const by = new Map<string, string>();
  for (const n of names) {
    const w = writes.get(n) ?? [];
    assert.equal(w.length, 1, `${n} had ${w.length} certificate writes: ${JSON.stringify(w)}`);
    assert.equal(w[0]!.status, 200);
    by.set(n, w[0]!.user);
  }
  return by;
}

test("two controller instances never both sign: only the Lease holder writes, each CSR gets one certificate", async () => {
  const h = await startHarness();
  try {
    const a = h.controller("a");
    const b = h.controller("b");
    a.controller.start();
    b.controller.start();
    await waitFor("a leader", () => a.controller.leading || b.controller.leading);
    const names = await submitMany(h, 20);
    await waitFor("20 certificates", () => names.every((n) => certificatePem(h.csr(n))));
    const signers = new Set(signedOnceEach(h, names).values());
    assert.equal(signers.size, 1, `signed by ${[...signers].join(", ")}`);
    assert.equal(a.audit.records.filter((r) => r.event === "kubelet-csr-signed").length + b.audit.records.filter((r) => r.event === "kubelet-csr-signed").length, 20);
    const standby = a.controller.leading ? b : a;
    assert.equal(standby.audit.records.length, 0);
    assert.equal(h.server.writes.filter((w) => w.resource === "certificatesigningrequests" && w.user === (standby === a ? "kubeca-a" : "kubeca-b")).length, 0);

    // The leader stops and releases the Lease: the standby takes over and signs the next CSRs alone.
    const leader = standby === a ? b : a;
    await leader.controller.stop();
    await waitFor("the standby leading", () => standby.controller.leading);
    const later = await submitMany(h, 5);
    await waitFor("5 more certificates", () => later.every((n) => certificatePem(h.csr(n))));
    const laterSigners = new Set(signedOnceEach(h, later).values());
    assert.deepEqual([...laterSigners], [standby === a ? "kubeca-a" : "kubeca-b"]);
  } finally {
    await h.close();
  }
});

test("a leader cut off from the Lease stops signing before the other replica takes over", async () => {
  const h = await startHarness();
  try {
    const a = h.controller("a");
    a.controller.start();
    await waitFor("a leading", () => a.controller.leading);
    const b = h.controller("b");
    b.controller.start();
    const first = await submitMany(h, 3);
    await waitFor("3 certificates", () => first.every((n) => certificatePem(h.csr(n))));

    // From now on a's Lease calls fail (a network partition to the Lease, not to CSRs).
    let cutAt = 0;
    h.server.hooks.push((r) => (r.resource === "leases" && r.user === "kubeca-a" ? 503 : undefined));
    cutAt = Date.now();
    // CSRs keep arriving during the hand-over.
    const during: string[] = [];
    const stopAt = Date.now() + 1800;
    while (Date.now() < stopAt) {
      during.push(await h.submit("node:cp-1", honest));
      await new Promise((r) => setTimeout(r, 60));
    }
    await waitFor("b leading", () => b.controller.leading);
    await waitFor("every certificate", () => during.every((n) => certificatePem(h.csr(n))), 8000);
    const by = signedOnceEach(h, during);
    const aWrites = h.server.writes.filter((w) => w.user === "kubeca-a" && w.resource === "certificatesigningrequests");
    const bWrites = h.server.writes.filter((w) => w.user === "kubeca-b" && w.resource === "certificatesigningrequests");
    assert.ok(bWrites.length > 0, "b signed the CSRs after taking over");
    assert.ok(new Set(by.values()).has("kubeca-b"));
    // No write of a's after b's first: the fence stopped a before b could acquire the Lease.
    const firstB = h.server.writes.findIndex((w) => w.user === "kubeca-b" && w.resource === "certificatesigningrequests");
    const lastA = h.server.writes.findLastIndex((w) => w.user === "kubeca-a" && w.resource === "certificatesigningrequests");
    assert.ok(lastA < firstB, `a wrote at ${lastA} after b's first write at ${firstB}`);
    assert.ok(aWrites.length >= 6 && cutAt > 0);
  } finally {
    await h.close();
  }
});
