// Cluster facts are derived from the config exactly as kubeadm derives them (spec §1.3).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileClusterFacts, controlPlaneEndpointSans, firstServiceIp } from "../../src/kubeadm/index.js";
import { cluster, testConfig } from "../policy/fixtures.js";

describe("the kubernetes Service IP is index 1 of the first serviceSubnet CIDR", () => {
  const cases: [string, string][] = [
    ["10.96.0.0/12", "10.96.0.1"],
    ["10.96.0.0/12,fd00::/108", "10.96.0.1"],
    ["10.96.0.0/12, fd00::/108", "10.96.0.1"],
    ["fd00::/108,10.96.0.0/12", "fd00::1"],
    ["fd00:10:96::/112", "fd00:10:96::1"],
    ["10.96.5.7/12", "10.96.0.1"], // masked to the network first, as net.ParseCIDR does
    ["172.16.0.0/31", "172.16.0.1"],
    ["192.168.255.0/24", "192.168.255.1"],
  ];
  for (const [subnet, ip] of cases) it(`${subnet} → ${ip}`, () => assert.equal(firstServiceIp(subnet), ip));

  for (const bad of ["", "10.96.0.0", "10.96.0.0/33", "10.96/12", "fd00::/129", "10.0.0.1/32", "nonsense/12"]) {
    it(`"${bad}" is a config error naming cluster.serviceSubnet`, () => {
      assert.throws(() => firstServiceIp(bad), (e: any) => e.code === "KUBECA_CONFIG_INVALID" && /^cluster\.serviceSubnet: /.test(e.detail));
    });
  }
});

describe("only the host of controlPlaneEndpoint becomes a SAN, DNS or IP", () => {
  const cases: [string | undefined, string[], string[]][] = [
    [undefined, [], []],
    ["k8s.example.internal", ["k8s.example.internal"], []],
    ["k8s.example.internal:6443", ["k8s.example.internal"], []],
    ["K8S.Example.Internal.:443", ["k8s.example.internal"], []],
    ["10.0.0.100:6443", [], ["10.0.0.100"]],
    ["10.0.0.100", [], ["10.0.0.100"]],
    ["[fd00::100]:6443", [], ["fd00::100"]],
    ["fd00:0::100", [], ["fd00::100"]],
  ];
  for (const [endpoint, dnsNames, ipAddresses] of cases) {
    it(`${endpoint ?? "(unset)"} → DNS [${dnsNames}] IP [${ipAddresses}]`, () => {
      assert.deepEqual(controlPlaneEndpointSans(endpoint), { dns: dnsNames, ip: ipAddresses });
    });
  }
  for (const bad of ["https://k8s.example.internal:6443", "k8s:0", "k8s:http", "[k8s.example]:6443", "under_score:6443"]) {
    it(`"${bad}" is a config error`, () => {
      assert.throws(() => controlPlaneEndpointSans(bad), { code: "KUBECA_CONFIG_INVALID" });
    });
  }
});

describe("compiled cluster facts", () => {
  it("split certSANs and etcd extra SANs into names and IPs, normalised", () => {
    const facts = compileClusterFacts(testConfig(cluster({
      apiServerCertSANs: ["API.example.com", "192.0.2.7", "*.apps.example.com", "2001:DB8::1"],
      etcd: { local: true, serverCertSANs: ["etcd.example.com", "192.0.2.8"], peerCertSANs: ["198.51.100.1"] },
    })).cluster);
    assert.deepEqual(facts.apiServerCertSans, { dns: ["api.example.com", "*.apps.example.com"], ip: ["192.0.2.7", "2001:db8::1"] });
    assert.deepEqual(facts.etcdServerCertSans, { dns: ["etcd.example.com"], ip: ["192.0.2.8"] });
    assert.deepEqual(facts.etcdPeerCertSans, { dns: [], ip: ["198.51.100.1"] });
  });
  it("hold version, domain, service IP and endpoint, frozen", () => {
    const facts = compileClusterFacts(testConfig().cluster);
    assert.equal(facts.version.minor, 31);
    assert.equal(facts.dnsDomain, "cluster.local");
    assert.equal(facts.serviceIp, "10.96.0.1");
    assert.deepEqual(facts.controlPlaneEndpoint, { dns: ["k8s.example.internal"], ip: [] });
    assert.equal(facts.etcdLocal, true);
    assert.ok(Object.isFrozen(facts) && Object.isFrozen(facts.apiServerCertSans.dns));
  });
  it("use the config defaults: version 1.34, cluster.local, 10.96.0.0/12", () => {
    const facts = compileClusterFacts(testConfig((r) => {
      delete r.cluster.kubernetesVersion; delete r.cluster.dnsDomain; delete r.cluster.serviceSubnet;
    }).cluster);
    assert.deepEqual([facts.version.text, facts.dnsDomain, facts.serviceIp], ["1.34", "cluster.local", "10.96.0.1"]);
  });
});
