// Node groups and super-admin.conf: a fleet member not listed under nodes gets its group's role, and its
// names and addresses beyond the cluster-wide ones must fall in the group's suffixes and CIDRs;
// super-admin.conf goes only where the config allows it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileNodeLookup } from "../../src/config/index.js";
import { buildCsr, cn, dns, ips, org } from "./parsed-csr.js";
import { assertAllowed, controlPlane, decide, messages, refusals, testConfig, worker, type ConfigMod } from "./fixtures.js";

const groups = (...list: Record<string, unknown>[]): ConfigMod => (r) => { r.nodeGroups = list; };
const superAdmin = (node: string, value: boolean): ConfigMod => (r) => {
  r.nodes.find((n: { name: string }) => n.name === node).superAdmin = value;
};

const WORKERS = { name: "workers", role: "worker", nameSuffix: ".ec2.internal", allowedCidrs: ["10.0.0.0/16"], allowedDnsSuffixes: [".ec2.internal"] };
const CONTROL_PLANES = { name: "cp-fleet", role: "control-plane", namePattern: "cp-*.k8s.internal", allowedCidrs: ["10.1.0.0/24"], allowedDnsSuffixes: [".k8s.internal"] };
const config = testConfig(groups(WORKERS, CONTROL_PLANES));

describe("node groups", () => {
  it("a worker not listed under nodes but matching a group gets its kubelet.conf", () => {
    const d = decide(config, worker("ip-10-0-1-20.ec2.internal"), "kubelet.conf", buildCsr(cn("system:node:ip-10-0-1-20.ec2.internal"), org("system:nodes")));
    assertAllowed(d);
    assert.equal(d.node, "ip-10-0-1-20.ec2.internal");
  });

  it("a group worker is still a worker: apiserver is refused for its role", () => {
    assert.deepEqual(refusals(decide(config, controlPlane("ip-10-0-1-20.ec2.internal"), "admin.conf")), ["file-not-allowed-for-role name"]);
  });

  it("a name matching no group is unknown, and the message says groups were consulted", () => {
    const d = decide(config, worker("node-7.example.com"), "kubelet.conf", buildCsr(cn("system:node:node-7.example.com"), org("system:nodes")));
    assert.deepEqual(refusals(d), ["node-unknown caller.node"]);
    assert.match(messages(d)[0]!, /matches no nodeGroups entry/);
  });

  it("a name that is no RFC 1123 subdomain never joins a group, whatever its suffix", () => {
    assert.deepEqual(refusals(decide(config, worker("Bad_Name.ec2.internal"), "kubelet.conf")), ["node-unknown caller.node"]);
  });

  it("a listed node wins over a group its name also matches", () => {
    const listed = testConfig(groups({ ...WORKERS, nameSuffix: "-1" }));
    // cp-1 ends with -1 but is listed as control-plane: it keeps that role and its exact SANs.
    assertAllowed(decide(listed, controlPlane("cp-1"), "admin.conf"));
  });

  it("the first matching group wins", () => {
    const lookup = compileNodeLookup(testConfig(groups({ ...WORKERS, name: "first" }, { ...WORKERS, name: "second" })));
    const entry = lookup.find("ip-10-0-9-9.ec2.internal");
    assert.equal(entry?.kind === "group" ? entry.group.name : undefined, "first");
  });

  it("* in namePattern matches within one label only", () => {
    const lookup = compileNodeLookup(config);
    assert.equal(lookup.find("cp-7.k8s.internal")?.role, "control-plane");
    assert.equal(lookup.find("cp-7.evil.k8s.internal"), undefined);
  });

  const cpName = "cp-7.k8s.internal";
  const apiserverCsr = (...mods: Parameters<typeof buildCsr>) =>
    buildCsr(
      cn("kube-apiserver"),
      dns(cpName, "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"),
      ips("10.96.0.1", "10.1.0.7"),
      ...mods,
    );

  it("a control-plane group member gets apiserver with its advertise address inside the group's CIDRs", () => {
    assertAllowed(decide(config, controlPlane(cpName), "apiserver", apiserverCsr()));
  });

  it("an advertise address outside the group's CIDRs is refused with the group rule, naming the CIDRs", () => {
    const d = decide(config, controlPlane(cpName), "apiserver", apiserverCsr(ips("10.96.0.1", "10.2.0.7")));
    assert.deepEqual(refusals(d), ["ip-san-not-in-group-cidrs san.ip[1]"]);
    assert.match(messages(d)[0]!, /IP SAN "10\.2\.0\.7" is neither one of cp-7\.k8s\.internal's addresses for apiserver \(10\.96\.0\.1\) nor in the allowedCidrs of node group cp-fleet \(10\.1\.0\.0\/24\)/);
  });

  it("a DNS name outside the group's suffixes is refused with the group rule", () => {
    const d = decide(config, controlPlane(cpName), "apiserver", apiserverCsr(
      dns(cpName, "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "api.evil.com", "extra.k8s.internal"),
    ));
    assert.deepEqual(refusals(d), ["dns-san-not-in-group-suffixes san.dns[6]"]);
  });

  it("the cluster-wide SANs stay required for a group member", () => {
    const d = decide(config, controlPlane(cpName), "apiserver", apiserverCsr(ips("10.1.0.7")));
    assert.deepEqual(refusals(d), ["required-san-missing san.ip"]);
  });

  it("a group member's etcd/server needs its own name and the loopbacks, its IP inside the CIDRs", () => {
    assertAllowed(decide(config, controlPlane(cpName), "etcd/server", buildCsr(cn(cpName), dns(cpName, "localhost"), ips("10.1.0.7", "127.0.0.1", "::1"))));
    assert.deepEqual(
      refusals(decide(config, controlPlane(cpName), "etcd/server", buildCsr(cn(cpName), dns("localhost"), ips("10.1.0.7", "127.0.0.1", "::1")))),
      ["required-san-missing san.dns"],
    );
  });

  it("the IPv4-mapped form of an address inside the CIDRs is not inside them", () => {
    const d = decide(config, controlPlane(cpName), "apiserver", apiserverCsr(ips("10.96.0.1", "10.1.0.7", "::ffff:10.1.0.7")));
    assert.deepEqual(refusals(d), ["ip-san-not-in-group-cidrs san.ip[2]"]);
    assert.match(messages(d)[0]!, /not the same SAN as 10\.1\.0\.7/);
  });
});

describe("node group config", () => {
  const invalid = (group: Record<string, unknown>) =>
    assert.throws(() => testConfig(groups(group)), { code: "KUBECA_CONFIG_INVALID" });
  it("needs exactly one of namePattern and nameSuffix", () => {
    invalid({ name: "g", role: "worker" });
    invalid({ name: "g", role: "worker", namePattern: "a-*", nameSuffix: ".x" });
  });
  it("a control-plane group needs allowedCidrs", () => invalid({ name: "g", role: "control-plane", nameSuffix: ".x" }));
  it("a bad CIDR is named by its path", () => {
    assert.throws(() => testConfig(groups({ ...WORKERS, allowedCidrs: ["10.0.0.0/33"] })), (e: { detail: string }) => /nodeGroups\.0\.allowedCidrs\.0: must be a CIDR/.test(e.detail));
  });
});

describe("super-admin.conf", () => {
  it("by default only the first control-plane node under nodes (where kubeadm init ran) gets it", () => {
    assertAllowed(decide(testConfig(), controlPlane("cp-1"), "super-admin.conf"));
    const d = decide(testConfig(), controlPlane("cp-2"), "super-admin.conf", buildCsr(cn("kubernetes-super-admin"), org("system:masters")));
    assert.deepEqual(refusals(d), ["super-admin-not-allowed name"]);
    assert.match(messages(d)[0]!, /cp-2 is not one of them/);
  });
  it("once a node sets superAdmin, exactly the nodes with superAdmin: true get it", () => {
    const c = testConfig(superAdmin("cp-2", true));
    assertAllowed(decide(c, controlPlane("cp-2"), "super-admin.conf"));
    assert.deepEqual(refusals(decide(c, controlPlane("cp-1"), "super-admin.conf")), ["super-admin-not-allowed name"]);
  });
  it("superAdmin: false on the first control-plane node means no node gets it", () => {
    const c = testConfig(superAdmin("cp-1", false));
    for (const node of ["cp-1", "cp-2"]) assert.deepEqual(refusals(decide(c, controlPlane(node), "super-admin.conf")), ["super-admin-not-allowed name"], node);
  });
  it("a control-plane group member never gets it", () => {
    assert.deepEqual(refusals(decide(config, controlPlane("cp-7.k8s.internal"), "super-admin.conf")), ["super-admin-not-allowed name"]);
  });
  it("a worker hears about its role, not about super-admin", () => {
    assert.deepEqual(refusals(decide(testConfig(), worker(), "super-admin.conf")), ["file-not-allowed-for-role name"]);
  });
  it("superAdmin: true on a worker is a config error", () => {
    assert.throws(() => testConfig(superAdmin("worker-1", true)), (e: { detail: string }) => /nodes\.2\.superAdmin: only a control-plane node/.test(e.detail));
  });
});
