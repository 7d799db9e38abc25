// A CSR the live watch showed untouched is decided on that copy (no GET first), and the events of
// kubeca's own writes queue no second pass; anything that already carries a condition is read fresh
// before it is signed, and signed once. The stale-copy case (someone
// else decides between the event and the approval write) is "a 409 retry gives up the write…" in
// controller-wiring.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CertificatesV1Api } from "@kubernetes/client-node";
import { UntouchedCsrs } from "../../src/kubelet/untouched-csrs.js";
import { certificatePem, certificateWrites, STEADY_LEASE, startHarness, waitFor } from "./harness.js";

const honest = { dns: ["cp-1"], ips: ["10.0.0.10"] };

/** Requests by kubeca-a before its first write of `subresource` to CSR `name`. */
function before(h: Awaited<ReturnType<typeof startHarness>>, name: string, subresource: string) {
  const upTo = h.server.requests.findIndex((r) => r.user === "kubeca-a" && r.method === "PUT" && r.name === name && r.subresource === subresource);
  assert.ok(upTo >= 0, `kubeca wrote ${subresource} of ${name}`);
  return h.server.requests.slice(0, upTo).filter((r) => r.user === "kubeca-a" && r.resource === "certificatesigningrequests");
}

for (const [order, delayMs] of [["", 0], [" (each write's event arriving before its answer)", 100]] as const) {
  test(`an untouched CSR from the watch is approved on the watch's copy, then signed on the approval's answer, and the events of those writes queue nothing: no CSR GET${order}`, async () => {
    const h = await startHarness();
    h.server.writeAnswerDelayMs = delayMs;
    try {
      const { controller, audit } = h.controller("a", { timingsMs: STEADY_LEASE });
      controller.start();
      await waitFor("a live watch", () => controller.ready() && h.server.openWatchesOn("certificatesigningrequests") > 0);
      const name = await h.submit("node:cp-1", honest);
      await waitFor("a certificate", () => certificatePem(h.csr(name)));
      assert.deepEqual(before(h, name, "status").filter((r) => r.name === name && r.method === "GET"), [], "no GET of the CSR before its certificate was written");
      assert.deepEqual(audit.records.filter((r) => r.request?.file === name).map((r) => r.event), ["kubelet-csr-approved", "kubelet-csr-signed"]);
      assert.deepEqual(certificateWrites(h.server).get(name), [{ user: "kubeca-a", status: 200 }]);

      // The watch events of kubeca's own two writes queue no second pass either. Events come in order on
      // one stream, so once a later CSR is done, the first one's events have been seen.
      const later = await h.submit("node:cp-1", honest);
      await waitFor("the later certificate", () => certificatePem(h.csr(later)));
      await controller.drained();
      const reads = h.server.requests.filter((r) => r.user === "kubeca-a" && r.resource === "certificatesigningrequests" && r.method === "GET" && r.name);
      assert.deepEqual(reads.map((r) => r.name), [], "no CSR was read at all");
    } finally {
      await h.close();
    }
  });
}

test("a CSR someone else approved before kubeca saw it is read fresh before it is signed, and signed once", async () => {
  const h = await startHarness();
  try {
    const { controller, audit } = h.controller("a", { timingsMs: { ...STEADY_LEASE, resync: 300 } });
    controller.start();
    await waitFor("a live watch", () => controller.ready() && h.server.openWatchesOn("certificatesigningrequests") > 0);
    // The CSR reaches kubeca only through the periodic list, already approved, while the watch is live.
    h.server.mutedWatchResources.add("certificatesigningrequests");
    const name = await h.submit("node:cp-1", honest);
    const admin = h.server.kubeConfig("admin").makeApiClient(CertificatesV1Api);
    const csr = await admin.readCertificateSigningRequest({ name });
    csr.status = { conditions: [{ type: "Approved", status: "True", reason: "AdminApproved", message: "ok", lastUpdateTime: new Date() }] };
    await admin.replaceCertificateSigningRequestApproval({ name, body: csr });
    await waitFor("a certificate", () => certificatePem(h.csr(name)));
    assert.ok(before(h, name, "status").some((r) => r.name === name && r.method === "GET"), "the approved CSR was read before it was signed");
    assert.deepEqual(audit.records.filter((r) => r.request?.file === name).map((r) => r.event), ["kubelet-csr-signed"]);
    assert.deepEqual(certificateWrites(h.server).get(name), [{ user: "kubeca-a", status: 200 }]);
  } finally {
    await h.close();
  }
});

test("the copies: only untouched CSRs are kept, each is handed out once, watch JSON comes back typed", () => {
  const copies = new UntouchedCsrs();
  const raw = { metadata: { name: "a", resourceVersion: "7", creationTimestamp: "2026-12-05T10:00:00Z" }, spec: { request: "", signerName: "x", usages: [] }, status: {} };
  copies.offer("a", raw as never);
  const typed = copies.take("a")!;
  assert.ok(typed.metadata?.creationTimestamp instanceof Date, "Date fields are Dates, as a GET returns them");
  assert.equal(typed.metadata?.creationTimestamp?.toISOString(), "2026-12-05T10:00:00.000Z");
  assert.equal(typed.metadata?.resourceVersion, "7");
  assert.equal(copies.take("a"), undefined, "taken once");

  copies.offer("b", raw as never);
  copies.offer("b", { ...raw, status: { conditions: [{ type: "Approved", status: "True" }] } } as never);
  assert.equal(copies.take("b"), undefined, "a copy showing a condition replaces and drops the untouched one");
  copies.offer("c", { ...raw, status: { certificate: "eA==" } } as never);
  assert.equal(copies.take("c"), undefined, "a copy with a certificate is not kept");
  copies.offer("d", raw as never);
  copies.forget("d");
  assert.equal(copies.take("d"), undefined, "a deleted CSR's copy is dropped");
});
