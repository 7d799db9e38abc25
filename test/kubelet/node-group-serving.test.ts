// A kubelet serving CSR from a node-group member (not listed under nodes): besides the Node's own
// addresses, its SANs must fall in the group's allowedCidrs and allowedDnsSuffixes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { KubeletSignerConfig as KubeletSignerSchema } from "../../src/config/index.js";
import { decide } from "../../src/kubelet/decide.js";
import type { Decision } from "../../src/kubelet/decision.js";
import type { Facts } from "../../src/kubelet/facts.js";
import { compileKubeletPolicy } from "../../src/kubelet/kubelet-policy.js";
import { NOW, parsedCsr, servingCsr } from "./decide-builders.js";

const WORKER = "ip-10-0-1-20.ec2.internal";
const policy = compileKubeletPolicy({
  keys: { allowed: ["ECDSA-P256"] },
  kubeletSigner: KubeletSignerSchema.parse({}),
  nodes: [{ name: "cp-1", role: "control-plane", advertiseAddress: "10.0.0.10", addresses: [], hostnames: [] }],
  nodeGroups: [{ name: "workers", role: "worker", nameSuffix: ".ec2.internal", allowedCidrs: ["10.0.0.0/16"], allowedDnsSuffixes: [".ec2.internal"] }],
});

/** The Node reports exactly the SANs asked for: only the group's ranges can refuse. */
function facts(dns: string[], ips: string[]): Facts {
  return {
    policy,
    request: { ok: true, csr: parsedCsr({ commonNames: [`system:node:${WORKER}`], dnsNames: dns, ipAddresses: ips }) },
    node: { state: "found", name: WORKER, addresses: { dnsNames: dns, ipAddresses: ips, source: "node status" } },
  };
}
const csr = servingCsr({ username: `system:node:${WORKER}` });
const rules = (d: Decision) => (d.kind === "deny" ? d.violations.map((v) => `${v.rule} ${v.field}`) : [d.kind]);

test("a group member whose SANs fall in the group's ranges is approved", () => {
  assert.equal(decide(csr, facts([WORKER], ["10.0.1.20"]), NOW).kind, "approve");
});

test("an IP the Node reports but outside the group's CIDRs is denied, naming the group", () => {
  const d = decide(csr, facts([WORKER], ["10.0.1.20", "192.168.7.7"]), NOW);
  assert.deepEqual(rules(d), ["IpAddressNotAllowed san.ip[1]"]);
  assert.match(d.kind === "deny" ? d.message : "", /192\.168\.7\.7 is in none of the allowedCidrs of node group workers \(10\.0\.0\.0\/16\)/);
});

test("a DNS name the Node reports but outside the group's suffixes is denied", () => {
  assert.deepEqual(rules(decide(csr, facts([WORKER, "api.example.com"], ["10.0.1.20"]), NOW)), ["DnsNameNotAllowed san.dns[1]"]);
});

test("a listed node is judged by its Node only, not by a group", () => {
  const listed = servingCsr({ username: "system:node:cp-1" });
  const f: Facts = {
    policy,
    request: { ok: true, csr: parsedCsr({ ipAddresses: ["192.168.7.7"] }) },
    node: { state: "found", name: "cp-1", addresses: { dnsNames: ["cp-1"], ipAddresses: ["192.168.7.7"], source: "node status" } },
  };
  assert.equal(decide(listed, f, NOW).kind, "approve");
});
