// SANs: every required one present, nothing outside the node's allowed set, only DNS and IP, none on client files.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dns, ips, otherSan } from "./parsed-csr.js";
import { assertAllowed, cluster, controlPlane, decide, etcd, messages, nodeExtras, refusals, section6Csr, testConfig } from "./fixtures.js";

const config = testConfig();
const APISERVER_DNS = ["cp-1", "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];

describe("required SANs (kubeadm would accept the cert; clients would fail later)", () => {
  it("apiserver without 10.96.0.1 is refused", () => {
    const d = decide(config, controlPlane(), "apiserver", section6Csr("apiserver", ips("10.0.0.10")));
    assert.deepEqual(refusals(d), ["required-san-missing san.ip"]);
    assert.deepEqual(messages(d), [
      'IP SAN "10.96.0.1" is missing from the apiserver CSR: kubeadm would accept the certificate, but clients reaching the server at 10.96.0.1 would fail TLS verification later',
    ]);
  });
  it("apiserver without the controlPlaneEndpoint name is refused", () => {
    const d = decide(config, controlPlane(), "apiserver", section6Csr("apiserver", dns(...APISERVER_DNS.filter((n) => n !== "k8s.example.internal"))));
    assert.deepEqual(messages(d), [
      'DNS SAN "k8s.example.internal" is missing from the apiserver CSR: kubeadm would accept the certificate, but clients reaching the server by that name would fail TLS verification later',
    ]);
  });
  it("etcd/peer without ::1 and localhost is refused, one violation each", () => {
    const d = decide(config, controlPlane(), "etcd/peer", section6Csr("etcd/peer", dns("cp-1"), ips("10.0.0.10", "127.0.0.1")));
    assert.deepEqual(refusals(d), ["required-san-missing san.dns", "required-san-missing san.ip"]);
  });
  it("certSANs are required too, as kubeadm puts them in the CSR", () => {
    const d = decide(testConfig(cluster({ apiServerCertSANs: ["api.example.com"] })), controlPlane(), "apiserver");
    assert.deepEqual(refusals(d), ["required-san-missing san.dns"]);
    assert.match(messages(d)[0] ?? "", /^DNS SAN "api\.example\.com" is missing/);
  });
});

describe("SANs outside the allowed set", () => {
  it("apiserver with an extra DNS SAN is refused, naming the SAN and what is allowed", () => {
    const d = decide(config, controlPlane(), "apiserver", section6Csr("apiserver", dns(...APISERVER_DNS, "evil.example.com")));
    assert.deepEqual(refusals(d), ["dns-san-not-allowed san.dns[6]"]);
    assert.deepEqual(messages(d), [
      'DNS SAN "evil.example.com" is not one of cp-1\'s names for apiserver (allowed: cp-1, k8s.example.internal, kubernetes, kubernetes.default, kubernetes.default.svc, kubernetes.default.svc.cluster.local)',
    ]);
  });
  it("apiserver with an extra IP SAN is refused", () => {
    const d = decide(config, controlPlane(), "apiserver", section6Csr("apiserver", ips("10.96.0.1", "10.0.0.10", "10.0.0.11")));
    assert.deepEqual(messages(d), ['IP SAN "10.0.0.11" is not one of cp-1\'s addresses for apiserver (allowed: 10.96.0.1, 10.0.0.10)']);
  });
  it("::ffff:10.0.0.10 is refused where 10.0.0.10 is allowed: a mapped IPv6 address is another SAN", () => {
    const d = decide(config, controlPlane(), "etcd/server", section6Csr("etcd/server", ips("10.0.0.10", "127.0.0.1", "::1", "::ffff:10.0.0.10")));
    assert.deepEqual(refusals(d), ["ip-san-not-allowed san.ip[3]"]);
    assert.deepEqual(messages(d), [
      'IP SAN "::ffff:10.0.0.10" is not one of cp-1\'s addresses for etcd/server (allowed: 10.0.0.10, 127.0.0.1, ::1) (an IPv4-mapped IPv6 address is not the same SAN as 10.0.0.10)',
    ]);
  });
  it("::ffff:10.0.0.10 does not stand in for a missing 10.0.0.10 either", () => {
    const d = decide(config, controlPlane(), "etcd/server", section6Csr("etcd/server", ips("::ffff:10.0.0.10", "127.0.0.1", "::1")));
    assert.deepEqual(refusals(d), ["ip-san-not-allowed san.ip[0]", "required-san-missing san.ip"]);
  });
  it("a node's extra address and hostname from the config are signed, but not required", () => {
    const c = testConfig(nodeExtras("cp-1", { addresses: ["192.168.1.10"], hostnames: ["cp-1.corp.example"] }));
    assertAllowed(decide(c, controlPlane(), "apiserver", section6Csr("apiserver", dns(...APISERVER_DNS, "cp-1.corp.example"), ips("10.96.0.1", "10.0.0.10", "192.168.1.10"))));
    assertAllowed(decide(c, controlPlane(), "apiserver"));
  });
  it("etcd/server SANs are not allowed on etcd/peer: each file has its own extra SANs", () => {
    const c = testConfig(etcd({ serverCertSANs: ["etcd.example.com"] }));
    assertAllowed(decide(c, controlPlane(), "etcd/server", section6Csr("etcd/server", dns("cp-1", "localhost", "etcd.example.com"))));
    assert.deepEqual(refusals(decide(c, controlPlane(), "etcd/peer", section6Csr("etcd/peer", dns("cp-1", "localhost", "etcd.example.com")))),
      ["dns-san-not-allowed san.dns[2]"]);
  });
});

describe("wildcards", () => {
  it("a wildcard DNS SAN is refused when no certSANs entry lists it", () => {
    const d = decide(config, controlPlane(), "apiserver", section6Csr("apiserver", dns(...APISERVER_DNS, "*.example.internal")));
    assert.deepEqual(refusals(d), ["wildcard-not-allowed san.dns[6]"]);
    assert.deepEqual(messages(d), ['DNS SAN "*.example.internal" is a wildcard; apiserver gets a wildcard only when it is listed verbatim in cluster.apiServerCertSANs']);
  });
  it("a wildcard listed in apiServerCertSANs is signed (and, as kubeadm puts it in the CSR, required)", () => {
    const c = testConfig(cluster({ apiServerCertSANs: ["*.api.example.com"] }));
    assertAllowed(decide(c, controlPlane(), "apiserver", section6Csr("apiserver", dns(...APISERVER_DNS, "*.API.example.com."))));
  });
  it("a wildcard covering a listed one is still refused: only verbatim entries", () => {
    const c = testConfig(cluster({ apiServerCertSANs: ["*.api.example.com"] }));
    const d = decide(c, controlPlane(), "apiserver", section6Csr("apiserver", dns(...APISERVER_DNS, "*.api.example.com", "*.example.com")));
    assert.deepEqual(refusals(d), ["wildcard-not-allowed san.dns[7]"]);
  });
  it("a wildcard in a node's hostnames does not make it signable", () => {
    const c = testConfig(nodeExtras("cp-1", { hostnames: ["*.cp-1.example.com"] }));
    assert.deepEqual(refusals(decide(c, controlPlane(), "apiserver", section6Csr("apiserver", dns(...APISERVER_DNS, "*.cp-1.example.com")))),
      ["wildcard-not-allowed san.dns[6]"]);
  });
});

describe("cluster facts change the required set (spec §6 negative vectors)", () => {
  it("dual-stack serviceSubnet 10.96.0.0/12,fd00::/108 requires only 10.96.0.1", () => {
    const c = testConfig(cluster({ serviceSubnet: "10.96.0.0/12,fd00::/108" }));
    assertAllowed(decide(c, controlPlane(), "apiserver"));
    assert.deepEqual(refusals(decide(c, controlPlane(), "apiserver", section6Csr("apiserver", ips("10.96.0.1", "10.0.0.10", "fd00::1")))),
      ["ip-san-not-allowed san.ip[2]"]);
  });
  it("controlPlaneEndpoint 10.0.0.100:6443 adds the IP SAN 10.0.0.100 instead of a DNS SAN", () => {
    const c = testConfig(cluster({ controlPlaneEndpoint: "10.0.0.100:6443" }));
    const dnsNames = APISERVER_DNS.filter((n) => n !== "k8s.example.internal");
    assertAllowed(decide(c, controlPlane(), "apiserver", section6Csr("apiserver", dns(...dnsNames), ips("10.96.0.1", "10.0.0.10", "10.0.0.100"))));
    assert.deepEqual(refusals(decide(c, controlPlane(), "apiserver")), ["dns-san-not-allowed san.dns[1]", "required-san-missing san.ip"]);
  });
  it("controlPlaneEndpoint without a port works the same", () => {
    assertAllowed(decide(testConfig(cluster({ controlPlaneEndpoint: "k8s.example.internal" })), controlPlane(), "apiserver"));
  });
});

describe("SAN types and client files", () => {
  it("an email SAN is refused", () => {
    const d = decide(config, controlPlane(), "apiserver", section6Csr("apiserver", otherSan("email", "root@example.com")));
    assert.deepEqual(refusals(d), ["san-type-not-allowed san.email"]);
    assert.deepEqual(messages(d), ['email SAN "root@example.com" is not allowed: only DNS and IP SANs are signed']);
  });
  it("a URI SAN on a client file is refused as a type, not just as unexpected", () => {
    const d = decide(config, controlPlane(), "admin.conf", section6Csr("admin.conf", otherSan("uri", "spiffe://cluster/admin")));
    assert.deepEqual(refusals(d), ["san-type-not-allowed san.uri"]);
  });
  it("SANs on admin.conf are refused, one per name", () => {
    const d = decide(config, controlPlane(), "admin.conf", section6Csr("admin.conf", dns("cp-1"), ips("10.0.0.10")));
    assert.deepEqual(refusals(d), ["san-not-expected san.dns[0]", "san-not-expected san.ip[0]"]);
    assert.deepEqual(messages(d)[0], 'DNS SAN "cp-1" is not expected: admin.conf is a client certificate and kubeadm requests it without SANs');
  });
});
