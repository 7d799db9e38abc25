// The kubelet signer with `addressSource: ec2`: the fake apiserver and the local EC2 server, both
// through their real clients. A SAN must be on the Node's status and on the instance its
// spec.providerID names; EC2 failures leave the CSR pending for a later pass.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { AddressSource } from "../../src/kubelet/address-source.js";
import { createKubeletController } from "../../src/kubelet/controller.js";
import { silentLog } from "../../src/kubelet/kubelet-log.js";
import { openAddressSource } from "../../src/kubelet/open-kubelet-signer.js";
import { runSweep, type SweepSummary } from "../../src/kubelet/sweep.js";
import { startEc2Server, type Ec2Server } from "../support/ec2-server.js";
import { certificatePem, condition, opensslVerify, startHarness, waitFor, type Harness } from "./harness.js";
import { MemoryAuditLog } from "./memory-audit-log.js";
import { counterSerial, lookup } from "./test-ca.js";

const credentials = { accessKeyId: "AKIDKUBECATEST", secretAccessKey: "kubeca-test-secret" };

// Node A is what the AWS cloud provider registers: named after its private DNS name, with the
// instance's addresses in its status. Node B lies: its status adds Node A's IP.
const A = { name: "ip-10-0-1-10.eu-west-1.compute.internal", id: "i-0a00000000000000a", ip: "10.0.1.10", publicIp: "198.51.100.10" };
const B = { name: "ip-10-0-1-20.eu-west-1.compute.internal", id: "i-0b00000000000000b", ip: "10.0.1.20" };
const providerId = (id: string) => `aws:///eu-west-1a/${id}`;

let ec2: Ec2Server;
before(async () => {
  ec2 = await startEc2Server();
  ec2.setInstance({
    instanceId: A.id,
    availabilityZone: "eu-west-1a",
    privateIpAddress: A.ip,
    privateDnsName: A.name,
    publicIpAddress: A.publicIp,
    publicDnsName: "ec2-198-51-100-10.eu-west-1.compute.amazonaws.com",
    ipv6Addresses: ["2001:db8::a"],
  });
  ec2.setInstance({ instanceId: B.id, availabilityZone: "eu-west-1a", privateIpAddress: B.ip, privateDnsName: B.name });
});
after(async () => {
  await ec2.close();
});

async function setup(): Promise<{ h: Harness; source: AddressSource; close(): Promise<void> }> {
  const h = await startHarness();
  h.server.addNode(
    A.name,
    [
      { type: "InternalIP", address: A.ip },
      { type: "ExternalIP", address: A.publicIp },
      { type: "InternalIP", address: "2001:db8::a" },
      { type: "Hostname", address: A.name },
      { type: "InternalDNS", address: A.name },
    ],
    providerId(A.id),
  );
  h.server.addNode(
    B.name,
    [
      { type: "InternalIP", address: B.ip },
      { type: "InternalIP", address: A.ip },
      { type: "Hostname", address: B.name },
    ],
    providerId(B.id),
  );
  // Through the same function the config wiring uses; one attempt per lookup so faults count exactly.
  const opened = await openAddressSource({ type: "ec2", region: "eu-west-1", endpoint: ec2.url, cacheSeconds: 30 }, { credentials, maxAttempts: 1 });
  return {
    h,
    source: opened.addressSource,
    async close() {
      opened.close();
      await h.close();
    },
  };
}

function sweep(h: Harness, source: AddressSource, audit = new MemoryAuditLog()): Promise<SweepSummary> {
  return runSweep({
    kubeConfig: h.server.kubeConfig("kubeca-sweep"),
    policy: h.policy,
    audit,
    cas: lookup(h.ca),
    serial: counterSerial(),
    now: () => new Date(),
    log: silentLog,
    identity: "kubeca-sweep",
    addressSource: source,
  });
}

test("an honest CSR whose Node addresses match its EC2 instance is approved and signed", async () => {
  const { h, source, close } = await setup();
  try {
    const name = await h.submit(`node:${A.name}`, { cn: `system:node:${A.name}`, dns: [A.name], ips: [A.ip, A.publicIp, "2001:db8::a"] });
    const summary = await sweep(h, source);
    assert.deepEqual(summary.outcomes, { approve: 0, deny: 0, sign: 1, fail: 0, skip: 0 });
    const approved = condition(h.csr(name), "Approved");
    assert.equal(approved.reason, "NodeIdentityVerified");
    assert.match(approved.message, /\(node status ∩ ec2\)$/);
    assert.match(opensslVerify(h.ca.pemFile, certificatePem(h.csr(name))!, "sslserver"), /: OK/);
  } finally {
    await close();
  }
});

test("a Node whose status claims an IP its instance does not have is denied, and the message names that IP", async () => {
  const { h, source, close } = await setup();
  try {
    const name = await h.submit(`node:${B.name}`, { cn: `system:node:${B.name}`, dns: [B.name], ips: [B.ip, A.ip] });
    const summary = await sweep(h, source);
    assert.equal(summary.outcomes.deny, 1);
    const denied = condition(h.csr(name), "Denied");
    assert.equal(denied.reason, "IpAddressNotOnNode");
    assert.equal(denied.message, `IpAddressNotOnNode: IP SAN ${A.ip} is not an address of Node ${B.name} (node status ∩ ec2)`);
    assert.equal(h.csr(name).status.certificate, undefined);
  } finally {
    await close();
  }
});

test("a Node without spec.providerID is denied with InstanceNotInInventory, and every SAN is listed", async () => {
  const { h, source, close } = await setup();
  try {
    // The harness's cp-1 has no providerID; its status alone would be approved.
    const name = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] });
    await sweep(h, source);
    const denied = condition(h.csr(name), "Denied");
    assert.equal(denied.reason, "InstanceNotInInventory");
    assert.equal(
      denied.message,
      [
        "InstanceNotInInventory: Node cp-1 has no spec.providerID, so ec2 cannot vouch for its addresses",
        "DnsNameNotOnNode: DNS SAN cp-1 is not an address of Node cp-1 (node status ∩ ec2 (instance unknown to ec2))",
        "IpAddressNotOnNode: IP SAN 10.0.0.10 is not an address of Node cp-1 (node status ∩ ec2 (instance unknown to ec2))",
      ].join("; "),
    );
  } finally {
    await close();
  }
});

test("a Node naming an instance EC2 does not know is denied with InstanceNotInInventory naming the providerID", async () => {
  const { h, source, close } = await setup();
  try {
    const ghost = "ip-10-0-1-30.eu-west-1.compute.internal";
    h.server.addNode(ghost, [{ type: "InternalIP", address: "10.0.1.30" }], providerId("i-0c00000000000000c"));
    const name = await h.submit(`node:${ghost}`, { cn: `system:node:${ghost}`, ips: ["10.0.1.30"] });
    await sweep(h, source);
    const denied = condition(h.csr(name), "Denied");
    assert.equal(denied.reason, "InstanceNotInInventory");
    assert.match(denied.message, /^InstanceNotInInventory: ec2 knows no running instance for spec\.providerID aws:\/\/\/eu-west-1a\/i-0c00000000000000c; IpAddressNotOnNode: IP SAN 10\.0\.1\.30/);
  } finally {
    await close();
  }
});

test("EC2 throttling leaves the CSR pending (no approval, no denial), and a later pass approves and signs it", async () => {
  const { h, source, close } = await setup();
  try {
    const name = await h.submit(`node:${A.name}`, { cn: `system:node:${A.name}`, dns: [A.name], ips: [A.ip] });
    ec2.fail("RequestLimitExceeded");
    const first = await sweep(h, source);
    assert.deepEqual({ errors: first.errors, outcomes: first.outcomes }, { errors: 1, outcomes: { approve: 0, deny: 0, sign: 0, fail: 0, skip: 0 } });
    assert.deepEqual(h.csr(name).status, {});
    assert.equal(h.server.writes.filter((w) => w.name === name && w.user === "kubeca-sweep").length, 0, "kubeca wrote nothing to the CSR");
    const second = await sweep(h, source);
    assert.equal(second.outcomes.sign, 1);
    assert.equal(condition(h.csr(name), "Approved").reason, "NodeIdentityVerified");
    assert.ok(certificatePem(h.csr(name)));
  } finally {
    await close();
  }
});

test("the long-running controller backs off on EC2 throttling and signs once EC2 answers, never denying", async () => {
  const { h, source, close } = await setup();
  try {
    const controller = createKubeletController({
      kubeConfig: h.server.kubeConfig("kubeca-a"),
      policy: h.policy,
      audit: new MemoryAuditLog(),
      cas: lookup(h.ca),
      serial: counterSerial(),
      now: () => new Date(),
      log: silentLog,
      identity: "kubeca-a",
      addressSource: source,
      timingsMs: { lease: 1000, renewDeadline: 600, retryPeriod: 100, resync: 60_000, watchRetry: 50, backoffBase: 50 },
    });
    ec2.fail("RequestLimitExceeded", 3);
    const name = await h.submit(`node:${A.name}`, { cn: `system:node:${A.name}`, dns: [A.name], ips: [A.ip] });
    controller.start();
    await waitFor("a certificate", () => certificatePem(h.csr(name)), 8000);
    assert.equal(condition(h.csr(name), "Denied"), undefined);
    await controller.stop();
  } finally {
    await close();
  }
});

test("a sweep over many CSRs of one node calls DescribeInstances once for that instance", async () => {
  const { h, source, close } = await setup();
  try {
    const before = ec2.callsFor(A.id);
    const names: string[] = [];
    for (let n = 0; n < 6; n++) names.push(await h.submit(`node:${A.name}`, { cn: `system:node:${A.name}`, dns: [A.name], ips: [A.ip] }));
    const summary = await sweep(h, source);
    assert.equal(summary.outcomes.sign, 6);
    for (const name of names) assert.ok(certificatePem(h.csr(name)), name);
    // Each CSR is looked up twice (approve, then sign); all twelve share one answer.
    assert.equal(ec2.callsFor(A.id) - before, 1);
  } finally {
    await close();
  }
});
