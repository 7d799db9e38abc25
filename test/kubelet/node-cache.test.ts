// The Node cache: answers only while its watch is live, follows every change, and a Node it does not
// hold is read with a GET, so the serving checks stay against the Node as the apiserver has it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createCsrApi } from "../../src/kubelet/csr-api.js";
import { silentLog } from "../../src/kubelet/kubelet-log.js";
import { NodeCache } from "../../src/kubelet/node-cache.js";
import { startFakeApiserver } from "../support/fake-apiserver.js";
import { certificatePem, condition, STEADY_LEASE, startHarness, waitFor } from "./harness.js";

test("the Node cache holds only the fields the checks use, follows changes and new Nodes, and answers nothing while its watch is down", async (t) => {
  const server = await startFakeApiserver();
  t.after(() => server.close());
  server.addNode("cp-1", [{ type: "Hostname", address: "cp-1" }, { type: "InternalIP", address: "10.0.0.10" }], "aws:///us-east-1a/i-0a");
  const api = createCsrApi(server.kubeConfig("kubeca-a"));
  const cache = new NodeCache(server.kubeConfig("kubeca-a"), () => api.listNodes(), { resyncMs: 60_000, retryMs: 20, log: silentLog });
  assert.equal(cache.get("cp-1"), undefined, "nothing before it starts");
  cache.start();
  t.after(() => cache.stop());
  const first = await waitFor("cp-1 cached", () => cache.get("cp-1"));
  assert.deepEqual(first, {
    metadata: { name: "cp-1" },
    spec: { providerID: "aws:///us-east-1a/i-0a" },
    status: { addresses: [{ type: "Hostname", address: "cp-1" }, { type: "InternalIP", address: "10.0.0.10" }] },
  });

  // A Node's addresses change: the cache follows the watch.
  server.addNode("cp-1", [{ type: "InternalIP", address: "10.0.0.99" }]);
  await waitFor("the new address", () => cache.get("cp-1")?.status?.addresses?.[0]?.address === "10.0.0.99");
  assert.deepEqual(cache.get("cp-1"), { metadata: { name: "cp-1" }, status: { addresses: [{ type: "InternalIP", address: "10.0.0.99" }] } });
  server.addNode("cp-3", [{ type: "InternalIP", address: "10.0.0.30" }]);
  await waitFor("a new Node", () => cache.get("cp-3"));

  // The watch breaks and cannot come back: the cache stops answering rather than answer from the past.
  let refuse = true;
  server.hooks.push((r) => (refuse && r.resource === "nodes" && r.watch ? 500 : undefined));
  server.dropWatches();
  await waitFor("the cache to stop answering", () => cache.get("cp-1") === undefined && cache.get("cp-3") === undefined);
  assert.equal(cache.live, false);
  refuse = false;
  await waitFor("the cache to answer again", () => cache.get("cp-1"));
  assert.equal(cache.live, true);
});

test("serving CSRs for cached Nodes cost no Node GET; a Node the cache does not hold is read; a refusal is never made on the cache alone", async () => {
  const h = await startHarness();
  try {
    const { controller, audit } = h.controller("a", { timingsMs: STEADY_LEASE });
    controller.start();
    await waitFor("the Node cache", () => controller.nodesCached());
    const nodeGets = () => h.server.requests.filter((r) => r.user === "kubeca-a" && r.resource === "nodes" && r.name).length;
    const cp2 = { cn: "system:node:cp-2", dns: ["cp-2"] };

    const honest = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] });
    await waitFor("a certificate", () => certificatePem(h.csr(honest)));
    assert.equal(nodeGets(), 0, "cp-1 came from the cache");

    // cp-2 moves to a new address and asks at once, before its Node's event reaches the cache (here:
    // never, the Node watch is muted). The cache says no; the Node read now says yes.
    h.server.mutedWatchResources.add("nodes");
    h.server.addNode("cp-2", [{ type: "Hostname", address: "cp-2" }, { type: "InternalIP", address: "10.0.0.12" }]);
    const moved = await h.submit("node:cp-2", { ...cp2, ips: ["10.0.0.12"] });
    await waitFor("a certificate for the new address", () => certificatePem(h.csr(moved)));
    assert.equal(nodeGets(), 1, "the refusal the cache suggested was checked with one Node read");
    // An address the Node has not got is refused after that read too.
    const wrong = await h.submit("node:cp-2", { ...cp2, ips: ["10.0.0.99"] });
    const denied = await waitFor("a denial", () => condition(h.csr(wrong), "Denied"));
    assert.equal(denied.reason, "IpAddressNotOnNode");
    assert.match(denied.message, /IP SAN 10\.0\.0\.99 is not an address of Node cp-2/);
    assert.equal(certificatePem(h.csr(wrong)), undefined);
    assert.equal(nodeGets(), 2);
    assert.deepEqual(audit.records.filter((r) => r.request?.file === wrong).map((r) => r.event), ["kubelet-csr-denied"]);
    h.server.mutedWatchResources.delete("nodes");

    // The Node watch is down: the cache answers nothing and a Node it never saw is read, not taken as missing.
    h.server.hooks.push((r) => (r.resource === "nodes" && r.watch ? 500 : undefined));
    h.server.dropWatches();
    await waitFor("the Node cache to stop answering", () => !controller.nodesCached());
    h.server.addNode("cp-4", [{ type: "Hostname", address: "cp-4" }, { type: "InternalIP", address: "10.0.0.40" }]);
    const unseen = await h.submit("node:cp-4", { cn: "system:node:cp-4", dns: ["cp-4"], ips: ["10.0.0.40"] });
    await waitFor("a certificate for a Node read with a GET", () => certificatePem(h.csr(unseen)));
    assert.equal(nodeGets(), 3);
  } finally {
    await h.close();
  }
});
