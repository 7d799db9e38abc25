// The wiring's promises: 409s retried on fresh copies, fail closed on the audit log, watches
// restarted after a disconnect and after 410 Gone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import type { KubeletCa } from "../../src/kubelet/kubelet-ca.js";
import { certificatePem, condition, STEADY_LEASE, startHarness, waitFor, type Harness } from "./harness.js";

const honest = { dns: ["cp-1"], ips: ["10.0.0.10"] };

/** The harness CA, counting every certificate it signs. */
function countingCa(h: Harness): { ca: KubeletCa; serials: string[] } {
  const serials: string[] = [];
  const issuer = {
    ca: h.ca.issuer.ca,
    async issue(request: Parameters<KubeletCa["issuer"]["issue"]>[0]) {
      const c = await h.ca.issuer.issue(request);
      serials.push(c.serialHex);
      return c;
    },
  };
  return { ca: { ...h.ca, issuer }, serials };
}

/** The serial of the certificate in a CSR's status, as the audit log writes serials. */
function statusSerial(csr: any): string {
  return new X509Certificate(certificatePem(csr)!).serialNumber.toLowerCase().replace(/^0+/, "");
}

test("a 409 on the approval and on the status write is retried with a fresh object, and recorded once", async () => {
  const h = await startHarness();
  try {
    // Just before kubeca's first write to each subresource, someone else changes the CSR.
    const touched = new Set<string>();
    h.server.hooks.push((r) => {
      if (r.method !== "PUT" || r.user !== "kubeca-a" || !r.name) return;
      const k = `${r.name}/${r.subresource}`;
      if (touched.has(k)) return;
      touched.add(k);
      h.server.touch("certificatesigningrequests", r.name);
    });
    const { controller, audit } = h.controller("a", { timingsMs: STEADY_LEASE });
    controller.start();
    const name = await h.submit("node:cp-1", honest);
    await waitFor("a certificate", () => certificatePem(h.csr(name)));
    const writes = h.server.writes.filter((w) => w.name === name && w.method === "PUT").map((w) => `${w.subresource} ${w.status}`);
    assert.deepEqual(writes, ["approval 409", "approval 200", "status 409", "status 200"]);
    assert.equal(h.csr(name).metadata.annotations["test/touched"] !== undefined, true);
    assert.deepEqual(audit.records.map((r) => r.event), ["kubelet-csr-approved", "kubelet-csr-signed"]);
  } finally {
    await h.close();
  }
});

test("a status write still failing after the 409 retries is retried later with the same certificate: one signature, one record", async () => {
  const h = await startHarness();
  try {
    // kubeca's first status write answers 500, the next six 409 (one more than apply's conflict
    // retries), so the CSR goes back to the queue after signing; then writes go through.
    const answers = [500, 409, 409, 409, 409, 409, 409];
    h.server.hooks.push((r) => {
      if (r.method === "PUT" && r.user === "kubeca-a" && r.subresource === "status") return answers.shift();
    });
    const { ca, serials } = countingCa(h);
    const { controller, audit } = h.controller("a", { cas: [ca], timingsMs: STEADY_LEASE });
    controller.start();
    const name = await h.submit("node:cp-1", honest);
    await waitFor("a certificate", () => certificatePem(h.csr(name)));
    await controller.drained();
    assert.equal(answers.length, 0, "every injected failure was answered");
    assert.equal(serials.length, 1, `signed ${serials.length} certificates for one CSR: ${serials.join(", ")}`);
    assert.deepEqual(audit.records.map((r) => r.event), ["kubelet-csr-approved", "kubelet-csr-signed"]);
    assert.equal(audit.records[1]!.result!.serial, serials[0]);
    assert.equal(statusSerial(h.csr(name)), serials[0]);
  } finally {
    await h.close();
  }
});

test("a certificate signed and then never written is recorded as unwritten, with its serial", async () => {
  const h = await startHarness();
  try {
    // Between kubeca's signature and its status write, an admin marks the CSR Failed: kubeca's write
    // answers 409, and the fresh copy no longer takes a certificate.
    let failed = false;
    h.server.hooks.push(async (r) => {
      if (failed || r.method !== "PUT" || r.user !== "kubeca-a" || r.subresource !== "status" || !r.name) return;
      failed = true;
      const { CertificatesV1Api } = await import("@kubernetes/client-node");
      const api = h.server.kubeConfig("admin").makeApiClient(CertificatesV1Api);
      const fresh = await api.readCertificateSigningRequest({ name: r.name });
      fresh.status = { ...fresh.status, conditions: [...(fresh.status?.conditions ?? []), { type: "Failed", status: "True", reason: "AdminFailed", message: "no", lastUpdateTime: new Date() }] };
      await api.replaceCertificateSigningRequestStatus({ name: r.name, body: fresh });
    });
    const { ca, serials } = countingCa(h);
    const { controller, audit } = h.controller("a", { cas: [ca], timingsMs: STEADY_LEASE });
    controller.start();
    const name = await h.submit("node:cp-1", honest);
    await waitFor("the unwritten record", () => audit.records.some((r) => r.event === "kubelet-csr-unwritten"));
    await controller.drained();
    assert.equal(condition(h.csr(name), "Failed").reason, "AdminFailed");
    assert.equal(h.csr(name).status.certificate, undefined);
    assert.equal(serials.length, 1);
    assert.deepEqual(audit.records.map((r) => r.event), ["kubelet-csr-approved", "kubelet-csr-signed", "kubelet-csr-unwritten"]);
    const [, signed, unwritten] = audit.records;
    assert.equal(signed!.result!.serial, serials[0]);
    assert.deepEqual(unwritten!.result, signed!.result);
    assert.equal(unwritten!.requestId, signed!.requestId);
    assert.match(unwritten!.message!, /never written to the CSR, and is discarded: .* changed state before the status write/);
  } finally {
    await h.close();
  }
});

test("a replica that stops while its certificate is still unwritten records it as unwritten", async () => {
  const h = await startHarness();
  try {
    h.server.hooks.push((r) => (r.method === "PUT" && r.user === "kubeca-a" && r.subresource === "status" ? 503 : undefined));
    const { ca, serials } = countingCa(h);
    const { controller, audit } = h.controller("a", { cas: [ca], timingsMs: STEADY_LEASE });
    controller.start();
    const name = await h.submit("node:cp-1", honest);
    const statusPuts = () => h.server.requests.filter((r) => r.name === name && r.subresource === "status" && r.method === "PUT").length;
    await waitFor("a retried status write", () => statusPuts() >= 2);
    await controller.stop();
    assert.equal(h.csr(name).status.certificate, undefined);
    assert.equal(serials.length, 1, "retries write the same certificate");
    assert.deepEqual(audit.records.map((r) => r.event), ["kubelet-csr-approved", "kubelet-csr-signed", "kubelet-csr-unwritten"]);
    assert.deepEqual(audit.records[2]!.result, audit.records[1]!.result);
    assert.match(audit.records[2]!.message!, /stopped leading before it could write it/);
  } finally {
    await h.close();
  }
});

test("a 409 retry gives up the write when the fresh copy was already decided by someone else", async () => {
  const h = await startHarness();
  try {
    // Someone else denies the CSR between kubeca's read and its approval write.
    h.server.hooks.push(async (r) => {
      if (r.method !== "PUT" || r.user !== "kubeca-a" || r.subresource !== "approval" || !r.name) return;
      const csr = h.server.get("certificatesigningrequests", r.name)!;
      if (condition(csr, "Denied")) return;
      const { CertificatesV1Api } = await import("@kubernetes/client-node");
      const api = h.server.kubeConfig("admin").makeApiClient(CertificatesV1Api);
      const fresh = await api.readCertificateSigningRequest({ name: r.name });
      fresh.status = { conditions: [{ type: "Denied", status: "True", reason: "AdminDenied", message: "no", lastUpdateTime: new Date() }] };
      await api.replaceCertificateSigningRequestApproval({ name: r.name, body: fresh });
    });
    const { controller } = h.controller("a");
    controller.start();
    const name = await h.submit("node:cp-1", honest);
    await waitFor("kubeca's 409", () => h.server.writes.some((w) => w.name === name && w.user === "kubeca-a" && w.status === 409));
    await controller.drained();
    const csr = h.csr(name);
    assert.equal(condition(csr, "Denied").reason, "AdminDenied");
    assert.equal(condition(csr, "Approved"), undefined);
    assert.deepEqual(h.server.writes.filter((w) => w.name === name && w.user === "kubeca-a").map((w) => w.status), [409]);
  } finally {
    await h.close();
  }
});

test("a failing audit log leaves the CSR untouched, and the CSR is handled once the log is back", async () => {
  const h = await startHarness();
  try {
    const { controller, audit } = h.controller("a");
    audit.failing = true;
    controller.start();
    const name = await h.submit("node:cp-1", honest);
    const rv = h.csr(name).metadata.resourceVersion;
    await waitFor("three refused appends", () => audit.rejected >= 3);
    assert.equal(h.csr(name).metadata.resourceVersion, rv);
    assert.deepEqual(h.csr(name).status, {});
    assert.equal(h.server.writes.filter((w) => w.name === name && w.method === "PUT").length, 0);
    audit.failing = false;
    await waitFor("a certificate after the log recovered", () => certificatePem(h.csr(name)), 8000);
    assert.deepEqual(audit.records.map((r) => r.event), ["kubelet-csr-approved", "kubelet-csr-signed"]);
  } finally {
    await h.close();
  }
});

test("a failing audit log at signing time leaves the approved CSR without a certificate", async () => {
  const h = await startHarness();
  try {
    const { controller, audit } = h.controller("a");
    const append = audit.append.bind(audit);
    audit.append = async (e) => {
      if (e.event === "kubelet-csr-signed") {
        audit.rejected++;
        throw new Error("audit store down");
      }
      return append(e);
    };
    controller.start();
    const name = await h.submit("node:cp-1", honest);
    await waitFor("approval", () => condition(h.csr(name), "Approved"));
    await waitFor("refused appends", () => audit.rejected >= 2);
    assert.equal(h.csr(name).status.certificate, undefined);
    assert.equal(h.server.writes.filter((w) => w.name === name && w.subresource === "status").length, 0);
  } finally {
    await h.close();
  }
});

test("the watch is resumed after a disconnect and re-listed after 410 Gone, and CSRs keep being signed", async () => {
  const h = await startHarness();
  try {
    const { controller } = h.controller("a", { timingsMs: STEADY_LEASE });
    controller.start();
    const lists = () => h.server.requests.filter((r) => r.resource === "certificatesigningrequests" && r.method === "GET" && !r.name && !r.watch).length;
    const watches = () => h.server.requests.filter((r) => r.resource === "certificatesigningrequests" && r.watch).length;
    await waitFor("a watch", () => h.server.openWatchesOn("certificatesigningrequests") > 0);
    assert.equal(lists(), 1);

    h.server.dropWatches();
    await waitFor("a second watch", () => watches() >= 2 && h.server.openWatchesOn("certificatesigningrequests") > 0);
    const afterDrop = await h.submit("node:cp-1", honest);
    await waitFor("a certificate after the disconnect", () => certificatePem(h.csr(afterDrop)));
    assert.equal(lists(), 1, "a disconnect resumes from the last version without listing again");

    // Compaction: the version the watch would resume from is gone; the apiserver answers 410.
    h.server.compact();
    h.server.dropWatches();
    await waitFor("a re-list after 410", () => lists() >= 2);
    const afterGone = await h.submit("node:cp-1", honest);
    await waitFor("a certificate after the 410", () => certificatePem(h.csr(afterGone)));
  } finally {
    await h.close();
  }
});

test("a CSR whose watch event never arrives is found by the periodic resync", async () => {
  const h = await startHarness();
  try {
    const { controller } = h.controller("a", { timingsMs: { ...STEADY_LEASE, resync: 300 } });
    controller.start();
    await waitFor("a watch", () => h.server.openWatchesOn("certificatesigningrequests") > 0);
    h.server.muteWatches = true; // the stream stays open but goes silent
    const name = await h.submit("node:cp-1", honest);
    await waitFor("a certificate found by resync", () => certificatePem(h.csr(name)));
    const lists = h.server.requests.filter((r) => r.resource === "certificatesigningrequests" && r.method === "GET" && !r.name && !r.watch).length;
    assert.ok(lists >= 2, `listed ${lists} times`);
    assert.equal(h.server.openWatchesOn("certificatesigningrequests"), 1, "the silent watch stayed open: resync, not a new watch, found the CSR");
  } finally {
    await h.close();
  }
});
