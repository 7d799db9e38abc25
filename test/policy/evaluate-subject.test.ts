// The subject must be exactly what kubeadm writes: CN and O for this file, node and version, nothing else.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildCsr, cn, org, subjectAttribute } from "./parsed-csr.js";
import { controlPlane, decide, messages, refusals, section6Csr, testConfig, version } from "./fixtures.js";

const config = testConfig();

describe("CN", () => {
  it("apiserver with CN kubernetes is refused", () => {
    const d = decide(config, controlPlane(), "apiserver", section6Csr("apiserver", cn("kubernetes")));
    assert.deepEqual(refusals(d), ["common-name-mismatch subject.CN"]);
    assert.deepEqual(messages(d), ['CN "kubernetes" is wrong: kubeadm writes exactly CN "kube-apiserver" for apiserver on cp-1']);
  });
  it("a CSR with no CN is refused", () => {
    const d = decide(config, controlPlane(), "scheduler.conf", buildCsr());
    assert.deepEqual(messages(d), ['the subject has no CN: kubeadm writes exactly CN "system:kube-scheduler" for scheduler.conf on cp-1']);
  });
  it("a CSR with the right CN twice is refused: exactly one CN", () => {
    const d = decide(config, controlPlane(), "scheduler.conf", buildCsr(cn("system:kube-scheduler", "system:kube-scheduler")));
    assert.deepEqual(refusals(d), ["common-name-mismatch subject.CN"]);
  });
  it("CN is compared exactly: case matters for a user name", () => {
    const d = decide(config, controlPlane(), "kubelet.conf", section6Csr("kubelet.conf", cn("system:node:CP-1")));
    assert.deepEqual(refusals(d), ["common-name-mismatch subject.CN"]);
  });
});

describe("O", () => {
  it("admin.conf with O=system:masters on 1.31 is refused, and the message names the 1.29 change", () => {
    const d = decide(config, controlPlane(), "admin.conf", section6Csr("admin.conf", org("system:masters")));
    assert.deepEqual(refusals(d), ["organization-mismatch subject.O"]);
    assert.deepEqual(messages(d), [
      'O "system:masters" does not match admin.conf for Kubernetes 1.31: kubeadm writes exactly O "kubeadm:cluster-admins" (O "system:masters" is what kubeadm wrote before 1.29)',
    ]);
  });
  it("admin.conf with O=system:masters on 1.28 is signed", () => {
    assert.equal(decide(testConfig(version("1.28")), controlPlane(), "admin.conf", section6Csr("admin.conf", org("system:masters"))).allow, true);
  });
  it("apiserver-etcd-client with O=system:masters on 1.31 is refused: 1.29 removed it", () => {
    const d = decide(config, controlPlane(), "apiserver-etcd-client", section6Csr("apiserver-etcd-client", org("system:masters")));
    assert.deepEqual(messages(d), [
      'O "system:masters" does not match apiserver-etcd-client for Kubernetes 1.31: kubeadm writes exactly no O (O "system:masters" is what kubeadm wrote before 1.29)',
    ]);
  });
  it("apiserver-kubelet-client with the 1.29 O on 1.28 is refused with the opposite hint", () => {
    const d = decide(testConfig(version("1.28")), controlPlane(), "apiserver-kubelet-client");
    assert.match(messages(d)[0] ?? "", /kubeadm writes exactly O "system:masters" \(O "kubeadm:cluster-admins" is what kubeadm writes from 1\.29 on\)$/);
  });
  it("kubelet.conf with O in another order plus an extra group is refused; order alone does not matter", () => {
    assert.deepEqual(refusals(decide(config, controlPlane(), "kubelet.conf", section6Csr("kubelet.conf", org("system:masters", "system:nodes")))),
      ["organization-mismatch subject.O"]);
  });
  it("kubelet.conf without O is refused", () => {
    assert.deepEqual(refusals(decide(config, controlPlane(), "kubelet.conf", buildCsr(cn("system:node:cp-1")))), ["organization-mismatch subject.O"]);
  });
});

describe("other subject attributes", () => {
  it("an OU attribute is refused, naming the attribute", () => {
    const d = decide(config, controlPlane(), "controller-manager.conf", section6Csr("controller-manager.conf", subjectAttribute("OU", "ops")));
    assert.deepEqual(refusals(d), ["subject-attribute-not-allowed subject.OU"]);
    assert.deepEqual(messages(d), ['subject attribute OU="ops" is not allowed: kubeadm CSRs carry only CN and O']);
  });
  it("each foreign attribute is its own violation", () => {
    const d = decide(config, controlPlane(), "scheduler.conf",
      section6Csr("scheduler.conf", subjectAttribute("C", "DE"), subjectAttribute("emailAddress", "ops@example.com")));
    assert.deepEqual(refusals(d), ["subject-attribute-not-allowed subject.C", "subject-attribute-not-allowed subject.emailAddress"]);
  });
});
