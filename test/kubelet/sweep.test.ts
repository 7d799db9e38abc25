// The Lambda sweep: one pass over pending CSRs through the real client, then return.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CertificatesV1Api } from "@kubernetes/client-node";
import { createKubeletSweepHandler } from "../../src/lambda/kubelet-sweep.js";
import { silentLog, type KubeletLog } from "../../src/kubelet/kubelet-log.js";
import { SignerError } from "../../src/signers/index.js";
import { lambdaContext } from "../lambda/api-gateway-events.js";
import { scheduledEvent } from "../lambda/scheduled-event.js";
import { CLIENT, certificatePem, condition, opensslVerify, startHarness, waitFor, type Harness } from "./harness.js";
import { MemoryAuditLog } from "./memory-audit-log.js";
import { counterSerial, createTestCa, lookup, type TestCa } from "./test-ca.js";

function sweepFor(h: Harness, audit: MemoryAuditLog, cas: TestCa[] = [h.ca], log: KubeletLog = silentLog) {
  const handler = createKubeletSweepHandler(async () => ({
    kubeConfig: h.server.kubeConfig("kubeca-lambda"),
    policy: h.policy,
    audit,
    cas: lookup(...cas),
    serial: counterSerial(),
    now: () => new Date(),
    log,
    identity: "kubeca-lambda",
  }));
  return () => handler(scheduledEvent(), lambdaContext);
}

async function approveAs(h: Harness, user: string, name: string): Promise<void> {
  const api = h.server.kubeConfig(user).makeApiClient(CertificatesV1Api);
  const csr = await api.readCertificateSigningRequest({ name });
  csr.status = { conditions: [{ type: "Approved", status: "True", reason: "KubectlApprove", message: "approved by hand", lastUpdateTime: new Date() }] };
  await api.replaceCertificateSigningRequestApproval({ name, body: csr });
}

test("one sweep approves and signs a pending serving CSR, signs an approved client CSR, denies an attack, and returns", async () => {
  const h = await startHarness();
  try {
    const audit = new MemoryAuditLog();
    const lines: { msg: string; fields: object | undefined }[] = [];
    const log: KubeletLog = { ...silentLog, info: (msg, fields) => lines.push({ msg, fields }) };
    const honest = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] });
    const attack = await h.submit("node:cp-1", { dns: ["cp-2"], ips: ["10.0.0.10"] });
    const client = await h.submit("bootstrap:abc", { cn: "system:node:cp-9" }, { signerName: CLIENT, usages: ["digital signature", "client auth"] });
    await approveAs(h, "system:kube-controller-manager", client);
    const pending = await h.submit("bootstrap:abc", { cn: "system:node:cp-8" }, { signerName: CLIENT, usages: ["digital signature", "client auth"] });
    const summary = await sweepFor(h, audit, [h.ca], log)();
    assert.deepEqual(summary, { leader: true, listed: 4, outcomes: { approve: 0, deny: 1, sign: 2, fail: 0, skip: 1 }, errors: 0 });
    // The log line names the schedule's time and the invocation, from the typed event and context.
    assert.deepEqual(lines.find((l) => l.msg === "sweep finished")?.fields, {
      ...summary,
      scheduledAt: "2026-11-27T08:53:00Z",
      invocation: lambdaContext.awsRequestId,
    });
    assert.ok(certificatePem(h.csr(honest)));
    assert.ok(condition(h.csr(honest), "Approved"));
    assert.equal(condition(h.csr(attack), "Denied").reason, "DnsNameNotOnNode");
    assert.ok(certificatePem(h.csr(client)));
    assert.deepEqual(h.csr(pending).status, {});
    // The Lease was released at the end, so the in-cluster controller need not wait for it.
    const lease = h.server.get("leases", "kubeca-kubelet-signer", "kubeca-system");
    assert.equal(lease?.spec.holderIdentity, "");
  } finally {
    await h.close();
  }
});

test("a sweep does nothing while another replica holds the Lease", async () => {
  const h = await startHarness();
  try {
    const { controller } = h.controller("a");
    controller.start();
    await waitFor("a leading", () => controller.leading);
    await controller.stop(); // releases; take it again without watching, so CSRs stay pending
    const c2 = h.controller("b");
    c2.controller.start();
    await waitFor("b leading", () => c2.controller.leading);
    const audit = new MemoryAuditLog();
    const summary = await sweepFor(h, audit)();
    assert.equal(summary.leader, false);
    assert.equal(audit.records.length, 0);
    assert.equal(h.server.writes.filter((w) => w.user === "kubeca-lambda" && w.resource === "certificatesigningrequests").length, 0);
  } finally {
    await h.close();
  }
});

test("a serving CSR approved by hand but naming an IP not on the Node is Failed with IpAddressNotOnNode, never signed", async () => {
  const h = await startHarness();
  try {
    const name = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.11"] });
    await approveAs(h, "admin", name);
    const audit = new MemoryAuditLog();
    const summary = await sweepFor(h, audit)();
    assert.equal(summary.outcomes.fail, 1);
    const failed = condition(h.csr(name), "Failed");
    assert.equal(failed.reason, "IpAddressNotOnNode");
    assert.match(failed.message, /IP SAN 10\.0\.0\.11 is not an address of Node cp-1/);
    assert.equal(h.csr(name).status.certificate, undefined);
  } finally {
    await h.close();
  }
});

test("serving certificates come from kubeletSigner.servingCa when it is not ca", async () => {
  const h = await startHarness({ servingCa: "front-proxy-ca", servingValidity: "24h" });
  try {
    const serving: TestCa = await createTestCa("front-proxy-ca", "kubelet-serving-ca");
    const name = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] });
    await sweepFor(h, new MemoryAuditLog(), [h.ca, serving])();
    const pem = certificatePem(h.csr(name))!;
    assert.match(opensslVerify(serving.pemFile, pem, "sslserver"), /: OK/);
    assert.throws(() => opensslVerify(h.ca.pemFile, pem, "sslserver"));
    const { X509Certificate } = await import("node:crypto");
    const cert = new X509Certificate(pem);
    const lifetime = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 1000;
    assert.equal(lifetime, 24 * 3600 + 300); // 24h plus the 5-minute backdate
  } finally {
    await h.close();
  }
});

test("an approved CSR whose CA has expired is Failed with SigningFailed, not retried forever", async () => {
  const h = await startHarness();
  try {
    const expired = await createTestCa("ca", "kubernetes", { notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 3600_000) });
    const name = await h.submit("bootstrap:abc", { cn: "system:node:cp-7" }, { signerName: CLIENT, usages: ["digital signature", "client auth"] });
    await approveAs(h, "system:kube-controller-manager", name);
    const audit = new MemoryAuditLog();
    const summary = await sweepFor(h, audit, [expired])();
    assert.equal(summary.errors, 0);
    const failed = condition(h.csr(name), "Failed");
    assert.equal(failed.reason, "SigningFailed");
    assert.match(failed.message, /expired/);
    assert.equal(h.csr(name).status.certificate, undefined);
    assert.deepEqual(audit.records.map((r) => [r.event, r.failure?.reason, r.violations?.[0]?.rule]), [
      ["signing-failed", "ca-expired", undefined],
      ["refused", undefined, "SigningFailed"],
    ]);
  } finally {
    await h.close();
  }
});

test("a throttled signer is recorded as signing-failed, like the issuance pipeline records it, and the CSR stays pending for the next pass", async () => {
  const h = await startHarness();
  try {
    const throttled: TestCa = {
      ...h.ca,
      issuer: {
        ca: h.ca.issuer.ca,
        issue: async () => {
          throw new SignerError("KUBECA_SIGNER_UNAVAILABLE", "throttled", "KMS throttled on Sign with key k; retry in 1s", { retryAfter: 1 });
        },
      },
    };
    const name = await h.submit("bootstrap:abc", { cn: "system:node:cp-7" }, { signerName: CLIENT, usages: ["digital signature", "client auth"] });
    await approveAs(h, "system:kube-controller-manager", name);
    const audit = new MemoryAuditLog();
    const summary = await sweepFor(h, audit, [throttled])();
    assert.equal(summary.errors, 1);
    assert.equal(condition(h.csr(name), "Failed"), undefined);
    assert.equal(audit.records.length, 1);
    const record = audit.records[0]!;
    assert.equal(record.event, "signing-failed");
    assert.deepEqual(record.failure, { issuer: "ca", code: "KUBECA_SIGNER_UNAVAILABLE", reason: "throttled" });
    assert.equal(record.request?.file, name);
    assert.equal(record.message, "SigningFailed: KMS throttled on Sign with key k; retry in 1s");
    // The next pass, with the signer back, signs it.
    await sweepFor(h, audit)();
    assert.ok(certificatePem(h.csr(name)));
  } finally {
    await h.close();
  }
});
