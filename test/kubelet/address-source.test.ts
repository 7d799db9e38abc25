// Address sources: the Node's status by default; a cloud inventory can narrow what a node may claim.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { V1Node } from "@kubernetes/client-node";
import { crossCheckedAddressSource, nodeStatusAddressSource, sameIp, type CloudInventory } from "../../src/kubelet/address-source.js";

const node: V1Node = {
  spec: { providerID: "aws:///eu-west-1a/i-0abc" },
  status: {
    addresses: [
      { type: "Hostname", address: "IP-10-0-0-10.eu-west-1.compute.internal" },
      { type: "Hostname", address: "10.0.0.10" },
      { type: "InternalIP", address: "10.0.0.10" },
      { type: "InternalIP", address: "10.9.9.9" },
      { type: "ExternalIP", address: "2001:db8::10" },
      { type: "InternalDNS", address: "cp-1.internal" },
      { type: "ExternalDNS", address: "cp-1.example.com" },
    ],
  },
};

test("the Node status source takes DNS names from Hostname/InternalDNS/ExternalDNS and IPs from InternalIP/ExternalIP only", async () => {
  assert.deepEqual(await nodeStatusAddressSource.addressesOf(node), {
    dnsNames: ["ip-10-0-0-10.eu-west-1.compute.internal", "cp-1.internal", "cp-1.example.com"],
    ipAddresses: ["10.0.0.10", "10.9.9.9", "2001:db8::10"],
    source: "node status",
  });
});

test("a cloud inventory keeps only the addresses it also knows for the instance named by spec.providerID", async () => {
  const asked: string[] = [];
  const ec2: CloudInventory = {
    name: "ec2",
    async addressesOf(providerId) {
      asked.push(providerId);
      return { dnsNames: ["ip-10-0-0-10.eu-west-1.compute.internal"], ipAddresses: ["10.0.0.10", "2001:0db8:0:0::10"] };
    },
  };
  const out = await crossCheckedAddressSource(nodeStatusAddressSource, ec2).addressesOf(node);
  assert.deepEqual(asked, ["aws:///eu-west-1a/i-0abc"]);
  assert.deepEqual(out, { dnsNames: ["ip-10-0-0-10.eu-west-1.compute.internal"], ipAddresses: ["10.0.0.10", "2001:db8::10"], source: "node status ∩ ec2" });
});

test("an instance the inventory does not know vouches for no address at all", async () => {
  const empty: CloudInventory = { name: "ec2", addressesOf: async () => undefined };
  const out = await crossCheckedAddressSource(nodeStatusAddressSource, empty).addressesOf(node);
  assert.deepEqual([out.dnsNames, out.ipAddresses], [[], []]);
  assert.match(out.source, /instance unknown to ec2/);
});

test("IPs compare by bytes, and an IPv4 never equals an IPv6", () => {
  assert.equal(sameIp("fd00::1", "fd00:0:0::1"), true);
  assert.equal(sameIp("10.0.0.1", "::ffff:10.0.0.1"), false);
  assert.equal(sameIp("10.0.0.1", "not-an-ip"), false);
  assert.equal(sameIp("10.0.0.1", "10.0.0.1"), true);
  assert.equal(sameIp("not-an-ip", "not-an-ip"), false, "equal text is still no IP");
});
