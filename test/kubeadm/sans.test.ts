// Per node, required = what kubeadm generates (spec §1.3); allowed = required + the node's own extras.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileClusterFacts, compileNodeSans } from "../../src/kubeadm/index.js";
import { cluster, etcd, nodeExtras, testConfig, type ConfigMod } from "../policy/fixtures.js";

function sansOf(node: string, ...mods: ConfigMod[]) {
  const config = testConfig(...mods);
  const n = config.nodes.find((x) => x.name === node);
  assert.ok(n);
  return compileNodeSans(compileClusterFacts(config.cluster), n);
}

describe("the §6 cluster, node cp-1", () => {
  const sans = sansOf("cp-1");
  it("apiserver requires the §6 names (sorted) and IPs (Service IP first)", () => {
    assert.deepEqual(sans.apiserver.required, {
      dns: ["cp-1", "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
      ip: ["10.96.0.1", "10.0.0.10"],
    });
    assert.deepEqual(sans.apiserver.allowed, sans.apiserver.required);
    assert.deepEqual(sans.apiserver.wildcards, []);
  });
  it("etcd server and peer require the node, localhost and loopbacks", () => {
    for (const set of ["etcd-server", "etcd-peer"] as const) {
      assert.deepEqual(sans[set].required, { dns: ["cp-1", "localhost"], ip: ["10.0.0.10", "127.0.0.1", "::1"] });
      assert.deepEqual(sans[set].allowed, sans[set].required);
    }
  });
});

describe("config changes what is required and allowed", () => {
  it("another dnsDomain changes the longest service name", () => {
    assert.ok(sansOf("cp-1", cluster({ dnsDomain: "corp.example" })).apiserver.required.dns.includes("kubernetes.default.svc.corp.example"));
  });
  it("certSANs are required on apiserver only; duplicates are dropped", () => {
    const s = sansOf("cp-1", cluster({ apiServerCertSANs: ["cp-1", "api.example.com", "192.0.2.7", "10.0.0.10"] }));
    assert.deepEqual(s.apiserver.required.ip, ["10.96.0.1", "10.0.0.10", "192.0.2.7"]);
    assert.ok(s.apiserver.required.dns.includes("api.example.com"));
    assert.equal(s.apiserver.required.dns.filter((d) => d === "cp-1").length, 1);
    assert.ok(!s["etcd-server"].allowed.dns.includes("api.example.com"));
  });
  it("etcd serverCertSANs go to etcd/server, peerCertSANs to etcd/peer", () => {
    const s = sansOf("cp-1", etcd({ serverCertSANs: ["etcd.example.com"], peerCertSANs: ["198.51.100.1"] }));
    assert.ok(s["etcd-server"].required.dns.includes("etcd.example.com"));
    assert.ok(!s["etcd-peer"].required.dns.includes("etcd.example.com"));
    assert.deepEqual(s["etcd-peer"].required.ip, ["10.0.0.10", "127.0.0.1", "::1", "198.51.100.1"]);
  });
  it("a node's extra addresses and hostnames are allowed, not required, in every set", () => {
    const s = sansOf("cp-1", nodeExtras("cp-1", { addresses: ["192.168.1.10"], hostnames: ["cp-1.corp.example"] }));
    for (const set of ["apiserver", "etcd-server", "etcd-peer"] as const) {
      assert.ok(s[set].allowed.ip.includes("192.168.1.10") && !s[set].required.ip.includes("192.168.1.10"), set);
      assert.ok(s[set].allowed.dns.includes("cp-1.corp.example") && !s[set].required.dns.includes("cp-1.corp.example"), set);
    }
  });
  it("a wildcard is signable only when it comes from certSANs, never from a node's hostnames", () => {
    const s = sansOf("cp-1", cluster({ apiServerCertSANs: ["*.api.example.com"] }), nodeExtras("cp-1", { hostnames: ["*.cp-1.example.com"] }));
    assert.deepEqual(s.apiserver.wildcards, ["*.api.example.com"]);
    assert.ok(!s.apiserver.allowed.dns.includes("*.cp-1.example.com"));
    assert.equal(s.apiserver.extraSansField, "cluster.apiServerCertSANs");
  });
  it("node cp-2 has its own names and address, not cp-1's", () => {
    const s = sansOf("cp-2");
    assert.ok(s.apiserver.required.dns.includes("cp-2") && !s.apiserver.allowed.dns.includes("cp-1"));
    assert.deepEqual(s["etcd-server"].required.ip, ["10.0.0.11", "127.0.0.1", "::1"]);
  });
});
