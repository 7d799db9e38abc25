// kube-apiserver-client-kubelet: kubeca signs what kube-controller-manager approved, and nothing else.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CertificatesV1Api } from "@kubernetes/client-node";
import { CLIENT, certificatePem, condition, opensslText, opensslVerify, startHarness, waitFor, type Harness } from "./harness.js";
import type { MemoryAuditLog } from "./memory-audit-log.js";
import type { KubeletController } from "../../src/kubelet/controller.js";

let h: Harness;
let audit: MemoryAuditLog;
let controller: KubeletController;

before(async () => {
  h = await startHarness();
  ({ controller, audit } = h.controller("a"));
  controller.start();
});
after(() => h.close());

const CLIENT_USAGES = ["digital signature", "client auth"];

/** What kube-controller-manager's csrapproving controller does for a bootstrap token. */
async function kcmApproves(name: string): Promise<void> {
  const api = h.server.kubeConfig("system:kube-controller-manager").makeApiClient(CertificatesV1Api);
  const csr = await api.readCertificateSigningRequest({ name });
  csr.status = { conditions: [{ type: "Approved", status: "True", reason: "AutoApproved", message: "Auto approving kubelet client certificate after SubjectAccessReview.", lastUpdateTime: new Date() }] };
  await api.replaceCertificateSigningRequestApproval({ name, body: csr });
}

test("an approved node client CSR is signed by ca, and the certificate verifies with openssl -purpose sslclient", async () => {
  const name = await h.submit("bootstrap:abcdef", { cn: "system:node:cp-3" }, { signerName: CLIENT, usages: CLIENT_USAGES });
  await kcmApproves(name);
  const csr = await waitFor("a certificate", () => (certificatePem(h.csr(name)) ? h.csr(name) : undefined));
  const pem = certificatePem(csr)!;
  assert.match(opensslVerify(h.ca.pemFile, pem, "sslclient"), /: OK/);
  const text = opensslText(pem);
  assert.match(text, /Subject: O ?= ?system:nodes, CN ?= ?system:node:cp-3/);
  assert.match(text, /TLS Web Client Authentication/);
  assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature\n/, "an ECDSA key that did not ask for key encipherment does not get it");
  assert.doesNotMatch(text, /Subject Alternative Name/);
  assert.equal(condition(csr, "Approved").reason, "AutoApproved"); // kubeca added no approval of its own
  assert.deepEqual(audit.records.filter((r) => r.request?.file === name).map((r) => r.event), ["node-client-csr-signed"]);
});

test("an unapproved node client CSR stays untouched", async () => {
  const name = await h.submit("bootstrap:abcdef", { cn: "system:node:cp-4" }, { signerName: CLIENT, usages: CLIENT_USAGES });
  const before = h.csr(name).metadata.resourceVersion;
  // Let the controller see it, and a later CSR go all the way through, proving it has looked.
  const other = await h.submit("bootstrap:abcdef", { cn: "system:node:cp-5" }, { signerName: CLIENT, usages: CLIENT_USAGES });
  await kcmApproves(other);
  await waitFor("the other certificate", () => certificatePem(h.csr(other)));
  await controller.drained();
  const csr = h.csr(name);
  assert.equal(csr.metadata.resourceVersion, before);
  assert.deepEqual(csr.status, {});
  assert.equal(h.server.writes.filter((w) => w.name === name && w.method === "PUT").length, 0);
  assert.equal(audit.records.filter((r) => r.request?.file === name).length, 0);
});

test("an approved node client CSR asking for SANs is Failed with SubjectAltNamesPresent, not signed", async () => {
  const name = await h.submit("bootstrap:abcdef", { cn: "system:node:cp-6", dns: ["cp-6"] }, { signerName: CLIENT, usages: CLIENT_USAGES });
  await kcmApproves(name);
  const csr = await waitFor("Failed", () => (condition(h.csr(name), "Failed") ? h.csr(name) : undefined));
  assert.equal(condition(csr, "Failed").reason, "SubjectAltNamesPresent");
  assert.match(condition(csr, "Failed").message, /a node client certificate has no SANs; the CSR asks for cp-6/);
  assert.equal(csr.status.certificate, undefined);
  assert.equal(audit.records.find((r) => r.request?.file === name)?.event, "refused");
});
