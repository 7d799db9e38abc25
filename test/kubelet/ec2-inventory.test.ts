// The EC2 inventory through the real @aws-sdk/client-ec2 against the local EC2 server: which
// addresses it vouches for, which providerIDs it refuses, and what it does when EC2 fails.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { isKubecaError } from "../../src/errors/index.js";
import { Ec2InventoryUnavailableError, openEc2Inventory, parseAwsProviderId, type Ec2InventoryOptions } from "../../src/kubelet/ec2-inventory.js";
import { startEc2Server, type Ec2Instance, type Ec2Server } from "../support/ec2-server.js";

const credentials = { accessKeyId: "AKIDKUBECATEST", secretAccessKey: "kubeca-test-secret" };
const ID = "i-0123456789abcdef0";
const PROVIDER_ID = `aws:///eu-west-1a/${ID}`;
const instance: Ec2Instance = {
  instanceId: ID,
  availabilityZone: "eu-west-1a",
  privateIpAddress: "10.0.0.10",
  privateDnsName: "IP-10-0-0-10.eu-west-1.compute.internal",
  secondaryPrivateIps: ["10.0.0.99"],
  publicIpAddress: "198.51.100.10",
  publicDnsName: "ec2-198-51-100-10.eu-west-1.compute.amazonaws.com",
  ipv6Addresses: ["2001:db8::10", "2001:db8::11"],
};

let ec2: Ec2Server;
before(async () => {
  ec2 = await startEc2Server();
});
after(async () => {
  await ec2.close();
});
beforeEach(() => {
  ec2.setInstance(instance);
});

function open(options: Ec2InventoryOptions = {}, cacheSeconds = 30) {
  return openEc2Inventory({ region: "eu-west-1", endpoint: ec2.url, cacheSeconds }, { credentials, maxAttempts: 1, ...options });
}

test("an EC2 providerID gives its zone and instance id; other clouds, Fargate and bare ids give nothing", () => {
  assert.deepEqual(parseAwsProviderId(PROVIDER_ID), { availabilityZone: "eu-west-1a", instanceId: ID });
  assert.deepEqual(parseAwsProviderId("aws:///us-east-1b/i-0abc1234"), { availabilityZone: "us-east-1b", instanceId: "i-0abc1234" });
  for (const other of [
    "gce://project/zone/vm",
    "aws:///eu-west-1a/fargate-ip-10-0-0-10.eu-west-1.compute.internal",
    ID,
    `aws://eu-west-1a/${ID}`,
    `aws:////${ID}`,
    `aws:///eu-west-1a/${ID}/x`,
    `aws:///eu-west-1a/I-0123456789ABCDEF0`,
    "",
  ]) {
    assert.equal(parseAwsProviderId(other), undefined, other);
  }
});

test("a running instance vouches for its private, secondary and public IPv4, its IPv6 addresses and its DNS names, lower-cased", async () => {
  const inventory = await open();
  try {
    const out = await inventory.addressesOf(PROVIDER_ID);
    assert.deepEqual(
      { dns: [...out!.dnsNames].sort(), ips: [...out!.ipAddresses].sort() },
      {
        dns: ["ec2-198-51-100-10.eu-west-1.compute.amazonaws.com", "ip-10-0-0-10.eu-west-1.compute.internal"],
        ips: ["10.0.0.10", "10.0.0.99", "198.51.100.10", "2001:db8::10", "2001:db8::11"],
      },
    );
    assert.deepEqual(ec2.calls, [[ID]]);
  } finally {
    inventory.close();
  }
});

test("a pending instance counts; stopped and terminated instances vouch for nothing", async () => {
  const inventory = await open({}, 0);
  try {
    ec2.setInstance({ ...instance, state: "pending" });
    assert.ok(await inventory.addressesOf(PROVIDER_ID));
    for (const state of ["stopped", "stopping", "shutting-down", "terminated"] as const) {
      ec2.setInstance({ ...instance, state });
      assert.equal(await inventory.addressesOf(PROVIDER_ID), undefined, state);
    }
  } finally {
    inventory.close();
  }
});

test("an instance id EC2 does not know, or a providerID naming the wrong zone, vouches for nothing", async () => {
  const inventory = await open();
  try {
    const before = ec2.calls.length;
    assert.equal(await inventory.addressesOf("aws:///eu-west-1a/i-0fffffffffffffff0"), undefined);
    assert.equal(await inventory.addressesOf(`aws:///eu-west-1b/${ID}`), undefined);
    assert.equal(ec2.calls.length - before, 2, "both were asked of EC2");
  } finally {
    inventory.close();
  }
});

test("a providerID that is not EC2's is refused without calling EC2", async () => {
  const inventory = await open();
  try {
    const before = ec2.calls.length;
    assert.equal(await inventory.addressesOf("gce://project/europe-west1-b/cp-1"), undefined);
    assert.equal(ec2.calls.length, before);
    assert.equal(inventory.lookups, 0);
  } finally {
    inventory.close();
  }
});

test("EC2 throttling throws (transient, never an answer), is not cached, and the next lookup succeeds", async () => {
  const inventory = await open();
  try {
    ec2.fail("RequestLimitExceeded");
    await assert.rejects(inventory.addressesOf(PROVIDER_ID), (e) => {
      assert.ok(e instanceof Ec2InventoryUnavailableError);
      assert.equal(e.message, `EC2 DescribeInstances for ${ID} failed (RequestLimitExceeded); the CSR is retried`);
      return true;
    });
    assert.ok(await inventory.addressesOf(PROVIDER_ID));
    assert.equal(inventory.lookups, 2);
  } finally {
    inventory.close();
  }
});

test("EC2 server errors, refused permissions and an unreachable endpoint are transient too", async () => {
  const inventory = await open();
  try {
    for (const fault of ["InternalError", "Unavailable", "UnauthorizedOperation"] as const) {
      ec2.fail(fault);
      await assert.rejects(inventory.addressesOf(PROVIDER_ID), (e) => e instanceof Ec2InventoryUnavailableError && e.message.includes(`(${fault})`));
    }
  } finally {
    inventory.close();
  }
  const unreachable = await openEc2Inventory({ region: "eu-west-1", endpoint: "http://127.0.0.1:1", cacheSeconds: 30 }, { credentials, maxAttempts: 1 });
  try {
    await assert.rejects(unreachable.addressesOf(PROVIDER_ID), (e) => e instanceof Ec2InventoryUnavailableError && /\(ECONNREFUSED\)/.test(e.message));
  } finally {
    unreachable.close();
  }
});

test("an EC2 that never answers times out as a transient failure instead of holding a worker", { timeout: 5000 }, async () => {
  const inventory = await open({ timeoutMs: 200 });
  try {
    ec2.fail("hang");
    await assert.rejects(inventory.addressesOf(PROVIDER_ID), (e) => e instanceof Ec2InventoryUnavailableError && /\(ETIMEDOUT\)/.test(e.message));
  } finally {
    inventory.close();
  }
});

test("the cache keeps one DescribeInstances call per instance within the TTL, and asks again after it", async () => {
  let now = 1_000_000;
  const inventory = await open({ now: () => now }, 30);
  try {
    const other = "i-0aaaaaaaaaaaaaaa1";
    ec2.setInstance({ ...instance, instanceId: other, privateIpAddress: "10.0.0.11" });
    const before = { id: ec2.callsFor(ID), other: ec2.callsFor(other) };
    // Concurrent lookups of one instance share the call in flight.
    await Promise.all([1, 2, 3, 4].map(() => inventory.addressesOf(PROVIDER_ID)));
    now += 29_000;
    await inventory.addressesOf(PROVIDER_ID);
    await inventory.addressesOf(`aws:///eu-west-1a/${other}`);
    assert.deepEqual({ id: ec2.callsFor(ID) - before.id, other: ec2.callsFor(other) - before.other }, { id: 1, other: 1 });
    now += 1_001; // 30 s after the first answer
    await inventory.addressesOf(PROVIDER_ID);
    assert.equal(ec2.callsFor(ID) - before.id, 2);
  } finally {
    inventory.close();
  }
});

test("an unknown instance is remembered for the TTL too, so a burst of its CSRs asks EC2 once", async () => {
  const inventory = await open();
  try {
    const ghost = "i-0eeeeeeeeeeeeeee0";
    for (let n = 0; n < 3; n++) assert.equal(await inventory.addressesOf(`aws:///eu-west-1a/${ghost}`), undefined);
    assert.equal(ec2.callsFor(ghost), 1);
    assert.equal(inventory.lookups, 1);
  } finally {
    inventory.close();
  }
});

test("opening without any AWS region is a configuration error, not a failure per CSR", async () => {
  const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION, AWS_CONFIG_FILE: process.env.AWS_CONFIG_FILE, AWS_PROFILE: process.env.AWS_PROFILE };
  delete process.env.AWS_REGION;
  delete process.env.AWS_DEFAULT_REGION;
  delete process.env.AWS_PROFILE;
  process.env.AWS_CONFIG_FILE = "/nonexistent/kubeca-test-aws-config";
  try {
    await assert.rejects(openEc2Inventory({ endpoint: ec2.url, cacheSeconds: 30 }, { credentials }), (e) => {
      assert.ok(isKubecaError(e));
      assert.equal(e.code, "KUBECA_CONFIG_INVALID");
      assert.match(e.detail, /no AWS region is set; set kubeletSigner\.addressSource\.region or AWS_REGION/);
      return true;
    });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
