// Who may have which file: the caller's node decides <node>; workers get kubelet.conf only; auditors nothing;
// files the cluster does not have are refused before the CSR is looked at.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildCsr, cn, dns, ips, org } from "./parsed-csr.js";
import {
  assertAllowed, auditor, controlPlane, decide, etcd, messages, refusals, section6Csr, testConfig, version, withoutCa, worker,
} from "./fixtures.js";

const config = testConfig();

describe("roles", () => {
  it("a worker asking for apiserver is refused for its role, before its CSR is judged", () => {
    const d = decide(config, worker(), "apiserver");
    assert.deepEqual(refusals(d), ["file-not-allowed-for-role name"]);
    assert.deepEqual(messages(d), ["apiserver is signed only for control-plane nodes; worker-1 (worker) may request only kubelet.conf"]);
  });
  it("a worker is refused every control-plane file", () => {
    for (const f of ["admin.conf", "etcd/server", "front-proxy-client", "scheduler.conf"]) {
      assert.deepEqual(refusals(decide(config, worker(), f)), ["file-not-allowed-for-role name"], f);
    }
  });
  it("a control-plane credential bound to a node the config calls a worker is refused too", () => {
    assert.deepEqual(refusals(decide(config, { ...controlPlane("worker-1") }, "admin.conf")), ["file-not-allowed-for-role name"]);
  });
  it("an auditor is signed nothing, not even kubelet.conf", () => {
    const d = decide(config, auditor(), "kubelet.conf");
    assert.deepEqual(refusals(d), ["file-not-allowed-for-role caller.role"]);
  });
  it("a caller bound to a node missing from the config is refused", () => {
    const d = decide(config, controlPlane("cp-9"), "kubelet.conf");
    assert.deepEqual(refusals(d), ["node-unknown caller.node"]);
    assert.deepEqual(messages(d), ['cp-9-token is bound to node "cp-9", which is not listed under nodes; add the node to the config']);
  });
  it("a non-auditor caller bound to no node is refused", () => {
    assert.deepEqual(refusals(decide(config, { method: "aws-iam", subject: "arn:x", node: undefined, role: "control-plane" }, "admin.conf")),
      ["node-unknown caller.node"]);
  });
});

describe("node A's token never gets node B's names: they are simply not A's", () => {
  it("kubelet.conf for system:node:cp-2 asked with cp-1's token is refused", () => {
    const d = decide(config, controlPlane("cp-1"), "kubelet.conf", buildCsr(cn("system:node:cp-2"), org("system:nodes")));
    assert.deepEqual(messages(d), ['CN "system:node:cp-2" is wrong: kubeadm writes exactly CN "system:node:cp-1" for kubelet.conf on cp-1']);
  });
  it("cp-2's whole etcd/server CSR asked with cp-1's token: every foreign name and every missing one is reported", () => {
    const cp2 = buildCsr(cn("cp-2"), dns("cp-2", "localhost"), ips("10.0.0.11", "127.0.0.1", "::1"));
    assert.deepEqual(refusals(decide(config, controlPlane("cp-1"), "etcd/server", cp2)), [
      "common-name-mismatch subject.CN",
      "dns-san-not-allowed san.dns[0]",
      "ip-san-not-allowed san.ip[0]",
      "required-san-missing san.dns",
      "required-san-missing san.ip",
    ]);
    assertAllowed(decide(config, controlPlane("cp-2"), "etcd/server", cp2));
  });
  it("cp-2's apiserver names with cp-1's token: the message says whose names are allowed", () => {
    const d = decide(config, controlPlane("cp-1"), "apiserver", section6Csr("apiserver", dns("cp-1", "cp-2", "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local")));
    assert.deepEqual(messages(d), [
      'DNS SAN "cp-2" is not one of cp-1\'s names for apiserver (allowed: cp-1, k8s.example.internal, kubernetes, kubernetes.default, kubernetes.default.svc, kubernetes.default.svc.cluster.local)',
    ]);
  });
});

describe("files the cluster does not have", () => {
  it("super-admin.conf on 1.28 is refused", () => {
    const d = decide(testConfig(version("1.28")), controlPlane(), "super-admin.conf");
    assert.deepEqual(refusals(d), ["file-not-for-this-version name"]);
    assert.deepEqual(messages(d), ["super-admin.conf exists only from Kubernetes 1.29; this cluster runs 1.28"]);
  });
  it("every etcd-ca file is refused with external etcd, legacy names too", () => {
    const c = testConfig(etcd({ local: false }));
    for (const f of ["etcd/server", "etcd-peer", "etcd/healthcheck-client", "apiserver-etcd-client"]) {
      assert.deepEqual(refusals(decide(c, controlPlane(), f, section6Csr(f.replace("etcd-peer", "etcd/peer")))), ["etcd-not-local name"], f);
    }
    assertAllowed(decide(c, controlPlane(), "apiserver"));
  });
  it("front-proxy-client is refused when front-proxy-ca is not configured", () => {
    const d = decide(testConfig(withoutCa("front-proxy-ca")), controlPlane(), "front-proxy-client");
    assert.deepEqual(messages(d), ["front-proxy-client is signed by front-proxy-ca, which is not configured under cas"]);
  });
  it("a worker asking for super-admin.conf on 1.28 hears both reasons", () => {
    assert.deepEqual(refusals(decide(testConfig(version("1.28")), worker(), "super-admin.conf")),
      ["file-not-allowed-for-role name", "file-not-for-this-version name"]);
  });
});

describe("several violations at once are all reported, in subject → SAN → key order", () => {
  it("apiserver with a wrong CN, an OU, an email SAN, a foreign name, a missing Service IP and RSA-1024", () => {
    const csr = buildCsr(
      cn("apiserver"),
      org("system:masters"),
      (d) => { d.otherSubjectAttributes = [{ type: "OU", value: "x" }]; d.otherNames = [{ type: "email", value: "a@b.c" }]; d.keyAlgorithm = { type: "rsa", bits: 1024 }; },
      dns("cp-1", "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "db.internal"),
      ips("10.0.0.10"),
    );
    const d = decide(config, controlPlane(), "apiserver", csr);
    assert.deepEqual(refusals(d), [
      "common-name-mismatch subject.CN",
      "organization-mismatch subject.O",
      "subject-attribute-not-allowed subject.OU",
      "san-type-not-allowed san.email",
      "dns-san-not-allowed san.dns[6]",
      "required-san-missing san.ip",
      "key-too-weak key",
    ]);
    assert.ok(Object.isFrozen(d) && !d.allow && Object.isFrozen(d.violations));
  });
});
