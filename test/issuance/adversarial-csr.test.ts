// Hostile CSRs through the real pipeline: what policy judged must be exactly what the certificate says,
// and what the parser cannot vouch for is refused as malformed, with nothing signed and the refusal audited.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Caller } from "../../src/auth/caller.js";
import { isKubecaError, type KubecaError } from "../../src/errors/index.js";
import {
  buildCsr,
  withCommonName,
  withDnsNames,
  withIpAddresses,
  withRawGeneralName,
  withRawRsaKey,
  withSubjectAttribute,
  type CsrModifier,
} from "../support/csr-builder.js";
import { ascii, tlv } from "../support/der.js";
import { CP1, ORIGIN, startService, type ServiceFixture } from "./service-fixture.js";

// A control-plane node group: its members' extra names need only end in .k8s.internal.
const CP_FLEET = { name: "cp-fleet", role: "control-plane", namePattern: "cp-*.k8s.internal", allowedCidrs: ["10.1.0.0/24"], allowedDnsSuffixes: [".k8s.internal"] };
const CP7: Caller = { method: "token", subject: "cp-7-token", node: "cp-7.k8s.internal", role: "control-plane" };
const CP7_DNS = ["cp-7.k8s.internal", "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];
const APISERVER_DNS = ["cp-1", "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];
const cp7Apiserver = (...more: CsrModifier[]) =>
  buildCsr(withCommonName("kube-apiserver"), withDnsNames(...CP7_DNS), withIpAddresses("10.96.0.1", "10.1.0.7"), ...more).pem;

async function refusal(fx: ServiceFixture, caller: Caller, name: string, csr: string): Promise<KubecaError> {
  const before = (await fx.auditLines()).length;
  const error = await fx.service.sign(caller, ORIGIN, { name, csr }).then(
    () => assert.fail(`${name} was signed but must be refused`),
    (e: unknown) => e,
  );
  assert.ok(isKubecaError(error), `expected a KubecaError, got ${String(error)}`);
  const lines = await fx.auditLines();
  assert.deepEqual(lines.slice(before).map((l) => l.event), ["refused"], "one refusal record, no issuance");
  return error;
}

describe("adversarial CSRs", () => {
  let fx: ServiceFixture;
  before(async () => {
    fx = await startService({ edit: (raw) => (raw.nodeGroups = [CP_FLEET]) });
  });
  after(() => fx.close());

  it("a group member cannot hide a NUL-prefixed service name under its group's DNS suffix", async () => {
    // The classic null-prefix name: a client comparing C strings reads kubernetes.default.svc.
    const e = await refusal(fx, CP7, "apiserver", cp7Apiserver(withRawGeneralName(tlv(0x82, ascii("kubernetes.default.svc\0.k8s.internal")))));
    assert.equal(e.code, "KUBECA_CSR_MALFORMED");
    assert.equal(e.detail, 'the CSR is not a valid PKCS#10 request: SAN 9 (DNS) "kubernetes.default.svc\\u0000.k8s.internal" is not a DNS name: it contains a NUL byte');
  });

  it("nor a name with a space, an empty label or a bare suffix", async () => {
    for (const name of ["a b.k8s.internal", "x..k8s.internal", ".k8s.internal"]) {
      const e = await refusal(fx, CP7, "apiserver", cp7Apiserver(withRawGeneralName(tlv(0x82, ascii(name)))));
      assert.equal(e.code, "KUBECA_CSR_MALFORMED", name);
      assert.match(e.detail, /^the CSR is not a valid PKCS#10 request: SAN 9 \(DNS\) ".*" is not a DNS name: /);
    }
  });

  it("a proper name under the group's suffix is still signed", async () => {
    const ok = await fx.service.sign(CP7, ORIGIN, { name: "apiserver", csr: cp7Apiserver(withDnsNames("api.k8s.internal")) });
    assert.equal(ok.profile, "apiserver");
  });

  it("an RSA key with public exponent 1, whose signatures anyone can compute, is not certified", async () => {
    // Its CSR "verifies" with no private key at all, and so would any TLS handshake made with it.
    const csr = buildCsr(withRawRsaKey([1]), withCommonName("system:kube-scheduler")).pem;
    const e = await refusal(fx, CP1, "scheduler.conf", csr);
    assert.equal(e.code, "KUBECA_CSR_MALFORMED");
    assert.equal(e.detail, "the CSR is not a valid PKCS#10 request: the RSA public exponent is 1; it must be odd and from 3 to 2^31-1 (kubeadm uses 65537)");
  });

  // Each refused name is one violation naming every allowed name, and the audit record keeps them all:
  // 45 KB of CSR made a 3.9 MB record (past DynamoDB's 400 KB item limit, so a 503 instead of a 403).
  it("a CSR with thousands of SANs is refused before policy, so its refusal stays small in the audit log", async () => {
    const names = Array.from({ length: 5000 }, (_, i) => `n${i}.example.com`);
    const e = await refusal(fx, CP1, "apiserver", buildCsr(withDnsNames(...names)).pem);
    assert.equal(e.code, "KUBECA_CSR_MALFORMED");
    assert.equal(e.detail, "the CSR is not a valid PKCS#10 request: the SAN extension lists 5000 names; kubeca signs at most 256");
    assert.ok(JSON.stringify((await fx.auditLines()).at(-1)).length < 2048);
  });

  it("and so is a subject with thousands of attributes", async () => {
    const ous = Array.from({ length: 3000 }, () => withSubjectAttribute("OU", "x"));
    const e = await refusal(fx, CP1, "scheduler.conf", buildCsr(withCommonName("system:kube-scheduler"), ...ous).pem);
    assert.equal(e.code, "KUBECA_CSR_MALFORMED");
    assert.equal(e.detail, "the CSR is not a valid PKCS#10 request: the subject has 3001 attributes; kubeca reads at most 64");
    assert.ok(JSON.stringify((await fx.auditLines()).at(-1)).length < 2048);
  });

  it("256 SANs are still judged name by name", async () => {
    const names = Array.from({ length: 250 }, (_, i) => `n${i}.example.com`);
    const e = await refusal(fx, CP1, "apiserver", buildCsr(withCommonName("kube-apiserver"), withDnsNames(...APISERVER_DNS, ...names)).pem);
    assert.equal(e.code, "KUBECA_POLICY_VIOLATION");
    assert.equal(e.violations.filter((v) => v.rule === "dns-san-not-allowed").length, 250);
  });
});
