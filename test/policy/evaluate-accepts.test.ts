// Spec §6: every file kubeadm generates for cp-1 is signed exactly as requested, for 1.31 and 1.28.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requireProfile } from "../../src/kubeadm/index.js";
import { compilePolicy } from "../../src/policy/index.js";
import { buildCsr, cn, dns, ips, org } from "./parsed-csr.js";
import {
  BEFORE_1_29_O, SECTION_6, assertAllowed, cluster, controlPlane, decide, refusals, section6Csr, testConfig, version, worker,
} from "./fixtures.js";

const ISSUER_AND_EKU: Record<string, [string, string[]]> = {
  apiserver: ["ca", ["serverAuth"]],
  "apiserver-kubelet-client": ["ca", ["clientAuth"]],
  "front-proxy-client": ["front-proxy-ca", ["clientAuth"]],
  "etcd/server": ["etcd-ca", ["serverAuth", "clientAuth"]],
  "etcd/peer": ["etcd-ca", ["serverAuth", "clientAuth"]],
  "etcd/healthcheck-client": ["etcd-ca", ["clientAuth"]],
  "apiserver-etcd-client": ["etcd-ca", ["clientAuth"]],
  "admin.conf": ["ca", ["clientAuth"]],
  "super-admin.conf": ["ca", ["clientAuth"]],
  "kubelet.conf": ["ca", ["clientAuth"]],
  "controller-manager.conf": ["ca", ["clientAuth"]],
  "scheduler.conf": ["ca", ["clientAuth"]],
};

describe("a control-plane node on Kubernetes 1.31 gets every §6 file exactly as kubeadm generates it", () => {
  const policy = compilePolicy(testConfig());
  for (const file of Object.keys(SECTION_6)) {
    it(`${file} is signed by ${ISSUER_AND_EKU[file]?.[0]} with ${ISSUER_AND_EKU[file]?.[1].join(", ")} for one year`, () => {
      const d = policy.evaluate({ caller: controlPlane(), profile: requireProfile(file), csr: section6Csr(file) });
      assertAllowed(d);
      assert.equal(d.profile.name, file);
      assert.equal(d.node, "cp-1");
      assert.equal(d.issuer, ISSUER_AND_EKU[file]?.[0]);
      assert.deepEqual(d.extKeyUsage, ISSUER_AND_EKU[file]?.[1]);
      assert.equal(d.validitySeconds, 8760 * 3600);
    });
  }
});

describe("on Kubernetes 1.28 the pre-1.29 O values are the right ones", () => {
  const config = testConfig(version("1.28"));
  for (const file of Object.keys(SECTION_6).filter((f) => f !== "super-admin.conf")) {
    const o = BEFORE_1_29_O[file];
    it(`${file} is signed${o ? ` with O=${o.join(",")}` : ""}`, () => {
      const csr = section6Csr(file, ...(o ? [org(...o)] : []));
      assertAllowed(decide(config, controlPlane(), file, csr));
    });
  }
  it("admin.conf with O=system:masters is accepted for 1.28", () => {
    assertAllowed(decide(config, controlPlane(), "admin.conf", section6Csr("admin.conf", org("system:masters"))));
  });
  it("admin.conf with the 1.29 O kubeadm:cluster-admins is refused for 1.28", () => {
    assert.deepEqual(refusals(decide(config, controlPlane(), "admin.conf")), ["organization-mismatch subject.O"]);
  });
});

describe("SANs are compared as names and addresses, not as the CSR spells or orders them", () => {
  const config = testConfig();
  it("apiserver with SANs in another order is signed", () => {
    const csr = section6Csr("apiserver",
      dns("kubernetes.default.svc.cluster.local", "kubernetes", "cp-1", "kubernetes.default.svc", "k8s.example.internal", "kubernetes.default"),
      ips("10.0.0.10", "10.96.0.1"));
    assertAllowed(decide(config, controlPlane(), "apiserver", csr));
  });
  it("apiserver with upper-case and trailing-dot names is signed", () => {
    const csr = section6Csr("apiserver",
      dns("CP-1", "K8S.Example.Internal.", "kubernetes.", "Kubernetes.Default", "kubernetes.default.svc", "KUBERNETES.DEFAULT.SVC.CLUSTER.LOCAL."));
    assertAllowed(decide(config, controlPlane(), "apiserver", csr));
  });
  it("etcd/server with IPs in another order and a repeated name is signed", () => {
    const csr = section6Csr("etcd/server", dns("localhost", "cp-1", "cp-1"), ips("::1", "127.0.0.1", "10.0.0.10"));
    assertAllowed(decide(config, controlPlane(), "etcd/server", csr));
  });
  it("an IPv6 SAN written differently but naming the same address is signed", () => {
    const v6 = testConfig(cluster({ serviceSubnet: "fd00:10:96::/108" }));
    const csr = section6Csr("apiserver", ips("fd00:10:96::1", "10.0.0.10"));
    assertAllowed(decide(v6, controlPlane(), "apiserver", csr));
  });
});

describe("legacy --csr-only names sign the same file as the generate-csr names", () => {
  const config = testConfig();
  for (const [legacy, file] of [["etcd-server", "etcd/server"], ["etcd-peer", "etcd/peer"], ["etcd-healthcheck-client", "etcd/healthcheck-client"]] as const) {
    it(`${legacy} resolves to ${file} and is signed like it`, () => {
      const profile = requireProfile(legacy);
      assert.equal(profile, requireProfile(file));
      const d = compilePolicy(config).evaluate({ caller: controlPlane(), profile, csr: section6Csr(file) });
      assertAllowed(d);
      assert.equal(d.profile.name, file);
    });
  }
});

describe("the decision carries what the certificate is built from", () => {
  it("validity comes from validity.leaf", () => {
    const config = testConfig((r) => { r.validity = { leaf: "720h30m" }; });
    const d = decide(config, controlPlane(), "scheduler.conf");
    assertAllowed(d);
    assert.equal(d.validitySeconds, 720 * 3600 + 30 * 60);
  });
  it("a worker gets its own kubelet.conf", () => {
    const d = decide(testConfig(), worker(), "kubelet.conf", buildCsr(cn("system:node:worker-1"), org("system:nodes")));
    assertAllowed(d);
    assert.equal(d.node, "worker-1");
  });
  it("an allow is frozen", () => {
    const d = decide(testConfig(), controlPlane(), "admin.conf");
    assert.ok(Object.isFrozen(d));
  });
});
