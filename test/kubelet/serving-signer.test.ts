// The kubelet-serving signer end to end: real @kubernetes/client-node, fake apiserver, real pki/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { certificatePem, condition, opensslText, opensslVerify, STEADY_LEASE, startHarness, waitFor, type Harness } from "./harness.js";
import type { MemoryAuditLog } from "./memory-audit-log.js";
import type { KubeletController } from "../../src/kubelet/controller.js";

let h: Harness;
let audit: MemoryAuditLog;
let controller: KubeletController;

before(async () => {
  h = await startHarness();
  ({ controller, audit } = h.controller("a", { timingsMs: STEADY_LEASE }));
  controller.start();
});
after(() => h.close());

test("an honest kubelet CSR is approved, then signed, and the certificate verifies with openssl -purpose sslserver against the serving CA", async () => {
  const name = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] });
  const csr = await waitFor("a certificate", () => (certificatePem(h.csr(name)) ? h.csr(name) : undefined));
  const approved = condition(csr, "Approved");
  assert.equal(approved.reason, "NodeIdentityVerified");
  assert.equal(approved.message, "every SAN of system:node:cp-1 is an address of Node cp-1 (node status)");
  const pem = certificatePem(csr)!;
  assert.match(opensslVerify(h.ca.pemFile, pem, "sslserver"), /: OK/);
  const text = opensslText(pem);
  assert.match(text, /Subject: O ?= ?system:nodes, CN ?= ?system:node:cp-1/);
  assert.match(text, /DNS:cp-1, IP Address:10\.0\.0\.10/);
  assert.match(text, /TLS Web Server Authentication/);
  assert.doesNotMatch(text, /TLS Web Client Authentication/);
  // Audit first: the approval and the signature were each recorded before being written.
  assert.deepEqual(
    audit.records.filter((r) => r.request?.file === name).map((r) => r.event),
    ["kubelet-csr-approved", "kubelet-csr-signed"],
  );
  const signed = audit.records.find((r) => r.event === "kubelet-csr-signed" && r.request?.file === name)!;
  assert.equal(signed.result?.issuer, "ca");
  assert.equal(signed.actor.identity, "system:node:cp-1");
});

const attacks: [string, string, Parameters<Harness["submit"]>[1], Parameters<Harness["submit"]>[2], string, RegExp][] = [
  ["a SAN naming another node is denied with DnsNameNotOnNode", "node:cp-1", { dns: ["cp-1", "cp-2"], ips: ["10.0.0.10"] }, {}, "DnsNameNotOnNode", /DNS SAN cp-2 is not an address of Node cp-1/],
  ["an IP that is not on the Node is denied with IpAddressNotOnNode", "node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10", "10.0.0.11"] }, {}, "IpAddressNotOnNode", /IP SAN 10\.0\.0\.11 is not an address of Node cp-1/],
  ["a CN that is not the requesting user is denied with CommonNameMismatch", "node:cp-1", { cn: "system:node:cp-2", dns: ["cp-1"], ips: ["10.0.0.10"] }, {}, "CommonNameMismatch", /subject CN \[system:node:cp-2\] differs from the requesting user system:node:cp-1/],
  ["a wrong O is denied with OrganizationMismatch", "node:cp-1", { o: ["system:masters"], dns: ["cp-1"], ips: ["10.0.0.10"] }, {}, "OrganizationMismatch", /subject O is \[system:masters\], must be exactly \[system:nodes\]/],
  ["an email SAN is denied with ForbiddenSanType", "node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"], emails: ["root@cp-1"] }, {}, "ForbiddenSanType", /email SAN root@cp-1 is not allowed/],
  ["client usages on the serving signer are denied with UsagesNotAllowed", "node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] }, { usages: ["digital signature", "client auth"] }, "UsagesNotAllowed", /usages \[digital signature, client auth\] are not allowed for kubernetes\.io\/kubelet-serving/],
  ["a CSR for a Node that does not exist is denied with NodeNotFound", "node:ghost", { cn: "system:node:ghost", dns: ["ghost"], ips: ["10.0.0.99"] }, {}, "NodeNotFound", /Node ghost does not exist/],
];

for (const [sentence, token, csrOpts, spec, reason, message] of attacks) {
  test(sentence, async () => {
    const name = await h.submit(token, csrOpts, spec);
    const csr = await waitFor("Denied", () => (condition(h.csr(name), "Denied") ? h.csr(name) : undefined));
    const denied = condition(csr, "Denied");
    assert.equal(denied.reason, reason);
    assert.match(denied.message, message);
    assert.equal(condition(csr, "Approved"), undefined);
    assert.equal(csr.status.certificate, undefined);
    const record = audit.records.find((r) => r.request?.file === name);
    assert.equal(record?.event, "kubelet-csr-denied");
    assert.equal(record?.violations?.[0]?.rule, reason);
    // Never signed: no certificate write was even attempted.
    assert.equal(h.server.writes.filter((w) => w.name === name && w.subresource === "status").length, 0);
  });
}

test("a CSR that already has a certificate is not signed again when it changes", async () => {
  const name = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] });
  await waitFor("a certificate", () => certificatePem(h.csr(name)));
  const writes = h.server.writes.filter((w) => w.name === name && w.method === "PUT").length;
  h.server.touch("certificatesigningrequests", name);
  await new Promise((r) => setTimeout(r, 200));
  await controller.drained();
  assert.equal(h.server.writes.filter((w) => w.name === name && w.method === "PUT").length, writes);
});

// Key usages follow the validated spec.usages, as kube-controller-manager's signer issues them:
// digital signature always, key encipherment only for an RSA key that asked for it (an ECDSA key
// cannot encipher; kubelets stopped asking for it with EC keys in 1.27).
const keyUsageCases: [string, Parameters<Harness["submit"]>[1]["key"], string[], string][] = [
  ["an ECDSA key asking for digital signature only", "P-256", ["digital signature", "server auth"], "Digital Signature"],
  ["an ECDSA key asking for key encipherment too (kubelets before 1.27)", "P-256", ["digital signature", "key encipherment", "server auth"], "Digital Signature"],
  ["an RSA key asking for key encipherment", "RSA-2048", ["digital signature", "key encipherment", "server auth"], "Digital Signature, Key Encipherment"],
  ["an RSA key not asking for it", "RSA-2048", ["digital signature", "server auth"], "Digital Signature"],
];

for (const [what, key, usages, expected] of keyUsageCases) {
  test(`the serving certificate of ${what} has Key Usage: ${expected}`, async () => {
    const name = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"], key }, { usages });
    const pem = await waitFor("a certificate", () => certificatePem(h.csr(name)));
    const text = opensslText(pem);
    assert.match(text, new RegExp(`X509v3 Key Usage: critical\\n\\s+${expected}\\n`));
    assert.match(opensslVerify(h.ca.pemFile, pem, "sslserver"), /: OK/);
  });
}
