// Refusals through the real pipeline: each answered with its code and exact violations, nothing issued,
// and the refusal in the audit log with the same violations (spec §6 negative vectors and issue 2).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { KubecaError } from "../../src/errors/index.js";
import {
  buildCsr,
  withCommonName,
  withDnsNames,
  withEmails,
  withIpAddresses,
  withKey,
  withOrganizations,
  withRawIp,
  withSubjectAttribute,
  withTamperedSignature,
} from "../support/csr-builder.js";
import { csrFor } from "./section6.js";
import { APISERVER_DNS, CP1, ORIGIN, WORKER1, refusal, startService, type ServiceFixture } from "./service-fixture.js";

const apiserverCsr = (dns: string[], ip: string[], ...more: Parameters<typeof buildCsr>) =>
  buildCsr(withCommonName("kube-apiserver"), withDnsNames(...dns), withIpAddresses(...ip), ...more).pem;


const rules = (e: KubecaError) => e.violations.map((v) => `${v.field} ${v.rule}`);

describe("refusals", () => {
  let fx: ServiceFixture;
  before(async () => {
    fx = await startService({ edit: (raw) => (raw.cluster.apiServerCertSANs = ["*.apps.example.internal"]) });
  });
  after(() => fx.close());

  it("an apiserver CSR without 10.96.0.1 is refused: kubeadm would accept it and clients would fail later", async () => {
    const e = await refusal(fx, CP1, "apiserver", apiserverCsr(APISERVER_DNS, ["10.0.0.10"], withDnsNames("*.apps.example.internal")));
    assert.equal(e.code, "KUBECA_POLICY_VIOLATION");
    assert.deepEqual(rules(e), ["san.ip required-san-missing"]);
    assert.match(e.violations[0]!.message, /10\.96\.0\.1/);
  });

  it("an apiserver CSR with an extra SAN names that SAN", async () => {
    const e = await refusal(
      fx,
      CP1,
      "apiserver",
      apiserverCsr([...APISERVER_DNS, "*.apps.example.internal", "evil.example.com"], ["10.96.0.1", "10.0.0.10"]),
    );
    assert.deepEqual(rules(e), ["san.dns[7] dns-san-not-allowed"]);
    assert.match(e.violations[0]!.message, /evil\.example\.com/);
  });

  it("the IPv4-mapped IPv6 form of the advertise address is not the advertise address", async () => {
    const mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 10];
    const e = await refusal(
      fx,
      CP1,
      "apiserver",
      apiserverCsr([...APISERVER_DNS, "*.apps.example.internal"], ["10.96.0.1", "10.0.0.10"], withRawIp(mapped)),
    );
    assert.deepEqual(rules(e), ["san.ip[2] ip-san-not-allowed"]);
    assert.match(e.violations[0]!.message, /::ffff:10\.0\.0\.10/);
  });

  it("a wildcard not listed in certSANs is refused; the listed one is signed", async () => {
    const e = await refusal(
      fx,
      CP1,
      "apiserver",
      apiserverCsr([...APISERVER_DNS, "*.apps.example.internal", "*.example.internal"], ["10.96.0.1", "10.0.0.10"]),
    );
    assert.deepEqual(rules(e), ["san.dns[7] wildcard-not-allowed"]);
    const ok = await fx.service.sign(CP1, ORIGIN, {
      name: "apiserver",
      csr: apiserverCsr([...APISERVER_DNS, "*.apps.example.internal"], ["10.96.0.1", "10.0.0.10"]),
    });
    assert.equal(ok.profile, "apiserver");
  });

  it("a wrong CN is refused", async () => {
    const e = await refusal(fx, CP1, "scheduler.conf", buildCsr(withCommonName("system:kube-controller-manager")).pem);
    assert.deepEqual(rules(e), ["subject.CN common-name-mismatch"]);
  });

  it("admin.conf with O=system:masters is refused from 1.29 on", async () => {
    const e = await refusal(fx, CP1, "admin.conf", buildCsr(withCommonName("kubernetes-admin"), withOrganizations("system:masters")).pem);
    assert.deepEqual(rules(e), ["subject.O organization-mismatch"]);
    assert.match(e.violations[0]!.message, /kubeadm:cluster-admins/);
  });

  it("a CSR whose signature does not verify is refused as such", async () => {
    const e = await refusal(fx, CP1, "admin.conf", buildCsr(withCommonName("kubernetes-admin"), withOrganizations("kubeadm:cluster-admins"), withTamperedSignature()).pem);
    assert.equal(e.code, "KUBECA_CSR_SIGNATURE_INVALID");
    assert.deepEqual(rules(e), ["csr csr-signature-invalid"]);
    assert.equal(e.violations[0]!.message, e.detail);
  });

  it("an RSA-1024 key is too weak", async () => {
    const e = await refusal(fx, CP1, "scheduler.conf", buildCsr(withKey("RSA-1024"), withCommonName("system:kube-scheduler")).pem);
    assert.deepEqual(rules(e), ["key key-too-weak"]);
  });

  it("a key type the config does not allow is refused", async () => {
    const e = await refusal(fx, CP1, "scheduler.conf", buildCsr(withKey("Ed25519"), withCommonName("system:kube-scheduler")).pem);
    assert.equal(e.violations[0]?.rule, "key-algorithm-not-allowed");
  });

  it("a token for cp-1 cannot get cp-2's names", async () => {
    const e = await refusal(
      fx,
      CP1,
      "etcd/server",
      buildCsr(withCommonName("cp-2"), withDnsNames("cp-2", "localhost"), withIpAddresses("10.0.0.11", "127.0.0.1", "::1")).pem,
    );
    assert.deepEqual(rules(e).sort(), [
      "san.dns required-san-missing",
      "san.dns[0] dns-san-not-allowed",
      "san.ip required-san-missing",
      "san.ip[0] ip-san-not-allowed",
      "subject.CN common-name-mismatch",
    ]);
  });

  it("a worker token cannot ask for apiserver", async () => {
    const e = await refusal(fx, WORKER1, "apiserver", apiserverCsr(APISERVER_DNS, ["10.96.0.1", "10.0.0.10"]));
    assert.deepEqual(rules(e), ["name file-not-allowed-for-role"]);
  });

  it("a worker token gets its own kubelet.conf", async () => {
    const ok = await fx.service.sign(WORKER1, ORIGIN, { name: "kubelet.conf", csr: buildCsr(withCommonName("system:node:worker-1"), withOrganizations("system:nodes")).pem });
    assert.equal(ok.issuer, "ca");
  });

  it("an email SAN and an OU are each reported, with the CN mismatch, in one answer", async () => {
    const e = await refusal(
      fx,
      CP1,
      "front-proxy-client",
      buildCsr(withCommonName("front-proxy"), withSubjectAttribute("OU", "x"), withEmails("a@example.com")).pem,
    );
    assert.deepEqual(rules(e).sort(), ["san.email san-type-not-allowed", "subject.CN common-name-mismatch", "subject.OU subject-attribute-not-allowed"].sort());
  });

  it("an unknown file name is a 400 naming the known ones", async () => {
    const e = await refusal(fx, CP1, "sa.key", csrFor("admin.conf"));
    assert.equal(e.code, "KUBECA_UNKNOWN_PROFILE");
    assert.match(e.detail, /apiserver, /);
  });

  it("a certificate sent as a CSR is malformed", async () => {
    const ca = await fx.caPem("ca");
    const e = await refusal(fx, CP1, "admin.conf", ca);
    assert.equal(e.code, "KUBECA_CSR_MALFORMED");
    assert.match(e.detail, /CERTIFICATE, not a CERTIFICATE REQUEST/);
  });
});
