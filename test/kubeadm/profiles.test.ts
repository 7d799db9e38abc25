// The profile catalogue holds the twelve files of spec §1.2 and §1.4, reachable by generate-csr and legacy names.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KubecaError } from "../../src/errors/index.js";
import {
  KNOWN_PROFILE_NAMES, PROFILES, expectedCommonName, expectedOrganizations, findProfile, parseKubernetesVersion,
  profileExistsIn, requireProfile,
} from "../../src/kubeadm/index.js";

const v1_28 = parseKubernetesVersion("1.28");
const v1_29 = parseKubernetesVersion("v1.29.0");

// name → kind, issuer, EKU, CN, O before 1.29, O from 1.29, SAN set (spec §1.2 and §1.4, copied by hand).
const TABLE: [string, string, string, string[], string, string[], string[], string][] = [
  ["apiserver", "pki", "ca", ["serverAuth"], "kube-apiserver", [], [], "apiserver"],
  ["apiserver-kubelet-client", "pki", "ca", ["clientAuth"], "kube-apiserver-kubelet-client", ["system:masters"], ["kubeadm:cluster-admins"], "none"],
  ["front-proxy-client", "pki", "front-proxy-ca", ["clientAuth"], "front-proxy-client", [], [], "none"],
  ["etcd/server", "pki", "etcd-ca", ["serverAuth", "clientAuth"], "cp-1", [], [], "etcd-server"],
  ["etcd/peer", "pki", "etcd-ca", ["serverAuth", "clientAuth"], "cp-1", [], [], "etcd-peer"],
  ["etcd/healthcheck-client", "pki", "etcd-ca", ["clientAuth"], "kube-etcd-healthcheck-client", ["system:masters"], [], "none"],
  ["apiserver-etcd-client", "pki", "etcd-ca", ["clientAuth"], "kube-apiserver-etcd-client", ["system:masters"], [], "none"],
  ["admin.conf", "kubeconfig", "ca", ["clientAuth"], "kubernetes-admin", ["system:masters"], ["kubeadm:cluster-admins"], "none"],
  ["super-admin.conf", "kubeconfig", "ca", ["clientAuth"], "kubernetes-super-admin", [], ["system:masters"], "none"],
  ["kubelet.conf", "kubeconfig", "ca", ["clientAuth"], "system:node:cp-1", ["system:nodes"], ["system:nodes"], "none"],
  ["controller-manager.conf", "kubeconfig", "ca", ["clientAuth"], "system:kube-controller-manager", [], [], "none"],
  ["scheduler.conf", "kubeconfig", "ca", ["clientAuth"], "system:kube-scheduler", [], [], "none"],
];

describe("the catalogue matches spec §1.2 and §1.4", () => {
  it("has exactly the twelve generate-csr files", () => {
    assert.deepEqual(PROFILES.map((p) => p.name), TABLE.map((r) => r[0]));
  });
  for (const [name, kind, issuer, eku, cn, before, from, sanSet] of TABLE) {
    it(`${name}: ${kind}, issued by ${issuer}, ${eku.join("+")}, CN ${cn}, O ${from.join(",") || "none"} (was ${before.join(",") || "none"})`, () => {
      const p = requireProfile(name);
      assert.equal(p.kind, kind);
      assert.equal(p.issuer, issuer);
      assert.deepEqual(p.extKeyUsage, eku);
      assert.equal(expectedCommonName(p, "cp-1"), cn);
      assert.deepEqual(expectedOrganizations(p, v1_28), before);
      assert.deepEqual(expectedOrganizations(p, v1_29), from);
      assert.equal(p.sanSet, sanSet);
      assert.equal(p.controlPlaneOnly, name !== "kubelet.conf");
      assert.equal(p.needsLocalEtcd, issuer === "etcd-ca");
    });
  }
  it("super-admin.conf exists only from 1.29; every other file in both", () => {
    for (const p of PROFILES) {
      assert.equal(profileExistsIn(p, v1_29), true, p.name);
      assert.equal(profileExistsIn(p, v1_28), p.name !== "super-admin.conf", p.name);
    }
  });
  it("is frozen all the way down", () => {
    assert.ok(Object.isFrozen(PROFILES));
    const p = requireProfile("admin.conf");
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.extKeyUsage) && Object.isFrozen(p.organizations.from1_29));
  });
});

describe("names resolve to profiles", () => {
  it("legacy --csr-only names resolve to the same profile object as the generate-csr names", () => {
    assert.equal(findProfile("etcd-server"), findProfile("etcd/server"));
    assert.equal(findProfile("etcd-peer"), findProfile("etcd/peer"));
    assert.equal(findProfile("etcd-healthcheck-client"), findProfile("etcd/healthcheck-client"));
    assert.equal(findProfile("admin.conf")?.name, "admin.conf");
  });
  it("lists fifteen known names, sorted", () => {
    assert.equal(KNOWN_PROFILE_NAMES.length, 15);
    assert.deepEqual([...KNOWN_PROFILE_NAMES], [...KNOWN_PROFILE_NAMES].sort());
    assert.ok(KNOWN_PROFILE_NAMES.includes("etcd-server") && KNOWN_PROFILE_NAMES.includes("etcd/server"));
  });
  it("an unknown name finds nothing; names are exact (no case folding, no .csr suffix)", () => {
    for (const n of ["ca", "sa", "Apiserver", "apiserver.csr", "etcd/ca", ""]) assert.equal(findProfile(n), undefined, n);
  });
  it("requireProfile refuses an unknown name with KUBECA_UNKNOWN_PROFILE listing the known names", () => {
    assert.throws(() => requireProfile("etcd/client"), (e: unknown) => {
      assert.ok(e instanceof KubecaError);
      assert.equal(e.code, "KUBECA_UNKNOWN_PROFILE");
      assert.match(e.detail, /^"etcd\/client" is not a file kubeadm asks an external CA to sign; known names: admin\.conf, apiserver, /);
      assert.match(e.detail, /etcd-server, /);
      return true;
    });
  });
});

describe("Kubernetes versions", () => {
  it("parse with or without v, patch and pre-release", () => {
    for (const [text, major, minor] of [["1.31", 1, 31], ["v1.28.4", 1, 28], ["1.29.0-rc.1", 1, 29], ["v2.0", 2, 0]] as const) {
      const v = parseKubernetesVersion(text);
      assert.deepEqual([v.major, v.minor, v.text], [major, minor, text]);
    }
  });
  it("refuse anything else as a config error", () => {
    assert.throws(() => parseKubernetesVersion("latest"), { code: "KUBECA_CONFIG_INVALID" });
  });
});
