// Hostile CSRs through the real pipeline: what policy judged must be exactly what the certificate says,
// and what the parser cannot vouch for is refused as malformed, with nothing signed and the refusal audited.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Caller } from "../../src/auth/caller.js";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  Attribute,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  GeneralNames,
  KeyUsage,
  KeyUsageFlags,
} from "@peculiar/asn1-x509";
import {
  buildCsr,
  withAttribute,
  withAttributeInSameRdn,
  withCommonName,
  withCriticalSan,
  withDnsNames,
  withIpAddresses,
  withRawGeneralName,
  withRawIp,
  withRawRsaKey,
  withRequestedExtension,
  withSubjectAttribute,
  type CsrModifier,
} from "../support/csr-builder.js";
import { ascii, tlv } from "../support/der.js";
import { opensslCertText, opensslVerify } from "../support/openssl.js";
import { APISERVER_DNS, CP1, ORIGIN, refusal, startService, type ServiceFixture } from "./service-fixture.js";

// A control-plane node group: its members' extra names need only end in .k8s.internal.
const CP_FLEET = { name: "cp-fleet", role: "control-plane", namePattern: "cp-*.k8s.internal", allowedCidrs: ["10.1.0.0/24"], allowedDnsSuffixes: [".k8s.internal"] };
const CP7: Caller = { method: "token", subject: "cp-7-token", node: "cp-7.k8s.internal", role: "control-plane" };
const CP7_DNS = ["cp-7.k8s.internal", "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];
const cp7Apiserver = (...more: CsrModifier[]) =>
  buildCsr(withCommonName("kube-apiserver"), withDnsNames(...CP7_DNS), withIpAddresses("10.96.0.1", "10.1.0.7"), ...more).pem;

const extension = (extnID: string, critical: boolean, value: unknown) =>
  new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
const certificateOf = (pem: string) => AsnConvert.parse(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64"), Certificate);
const hex = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("hex");


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

  it("a wildcard under the group's suffix is not granted by the suffix", async () => {
    const e = await refusal(fx, CP7, "apiserver", cp7Apiserver(withDnsNames("*.k8s.internal")));
    assert.deepEqual(e.violations.map((v) => `${v.field} ${v.rule}`), ["san.dns[6] wildcard-not-allowed"]);
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

  it("what the CSR asks for besides the SAN is ignored: no CA:TRUE, keyCertSign or anyExtendedKeyUsage, no critical SAN", async () => {
    const built = buildCsr(
      withCommonName("kube-apiserver"),
      withDnsNames(...APISERVER_DNS),
      withIpAddresses("10.96.0.1", "10.0.0.10"),
      withCriticalSan(),
      withRequestedExtension(extension("2.5.29.19", true, new BasicConstraints({ cA: true }))),
      withRequestedExtension(extension("2.5.29.15", true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign))),
      withRequestedExtension(extension("2.5.29.37", false, new ExtendedKeyUsage(["2.5.29.37.0"]))),
    );
    const ok = await fx.service.sign(CP1, ORIGIN, { name: "apiserver", csr: built.pem });
    const exts = Array.from(certificateOf(ok.certificate).tbsCertificate.extensions ?? []);
    assert.deepEqual(exts.map((e) => [e.extnID, e.critical]), [
      ["2.5.29.19", true], ["2.5.29.15", true], ["2.5.29.37", false], ["2.5.29.14", false], ["2.5.29.35", false], ["2.5.29.17", false],
    ]);
    assert.equal(AsnConvert.parse(exts[0]!.extnValue, BasicConstraints).cA, false);
    assert.equal(AsnConvert.parse(exts[1]!.extnValue, KeyUsage).toNumber(), KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment);
    assert.deepEqual(Array.from(AsnConvert.parse(exts[2]!.extnValue, ExtendedKeyUsage)), ["1.3.6.1.5.5.7.3.1"]);
    // What openssl, as a TLS client's library, makes of it.
    const text = await opensslCertText(ok.certificate);
    assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
    assert.doesNotMatch(text, /Certificate Sign|Any Extended Key Usage|Alternative Name: critical/);
    assert.equal((await opensslVerify({ caPem: ok.caCertificate, certPem: ok.certificate, purpose: "sslserver" })).code, 0);
  });

  it("the issued subject and SAN are the CSR's bytes; a SAN in Microsoft's extension request attribute goes nowhere", async () => {
    const msSan = extension("2.5.29.17", false, new GeneralNames([new GeneralName({ dNSName: "evil.example.com" })]));
    const msExtensionRequest = new Attribute({ type: "1.3.6.1.4.1.311.2.1.14", values: [AsnConvert.serialize(new Extensions([msSan]))] });
    const built = buildCsr(withCommonName("kube-apiserver"), withDnsNames(...APISERVER_DNS), withIpAddresses("10.96.0.1", "10.0.0.10"), withAttribute(msExtensionRequest));
    const ok = await fx.service.sign(CP1, ORIGIN, { name: "apiserver", csr: built.pem });
    const tbs = certificateOf(ok.certificate).tbsCertificate;
    const sans = (tbs.extensions ?? []).filter((e) => e.extnID === "2.5.29.17");
    assert.equal(sans.length, 1);
    assert.equal(hex(sans[0]!.extnValue.buffer), hex(built.sanDer!));
    assert.equal(hex(AsnConvert.serialize(tbs.subject)), hex(built.subjectDer));
    assert.doesNotMatch(await opensslCertText(ok.certificate), /evil/);
  });

  it("an O hidden in the CN's RDN (CN=kubernetes-admin+O=system:masters) is read like any other O", async () => {
    const csr = buildCsr(withCommonName("kubernetes-admin"), withAttributeInSameRdn("O", "system:masters")).pem;
    const e = await refusal(fx, CP1, "admin.conf", csr);
    assert.deepEqual(e.violations.map((v) => `${v.field} ${v.rule}`), ["subject.O organization-mismatch"]);
  });

  it("the IPv4-compatible address ::10.0.0.10 is not 10.0.0.10, as the mapped one is not", async () => {
    const compatible = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 10];
    const csr = buildCsr(withCommonName("cp-1"), withDnsNames("cp-1", "localhost"), withIpAddresses("127.0.0.1", "::1"), withRawIp(compatible)).pem;
    const e = await refusal(fx, CP1, "etcd/server", csr);
    assert.deepEqual(e.violations.map((v) => `${v.field} ${v.rule}`), ["san.ip[2] ip-san-not-allowed", "san.ip required-san-missing"]);
    assert.match(e.violations[0]!.message, /IP SAN "::a00:a" is not one of cp-1's addresses/);
  });

  it("a CN that differs from the expected one only by a trailing NUL or a look-alike letter is another CN", async () => {
    for (const cn of ["kube-apiserver\u0000", "kube-аpiserver", "KUBE-APISERVER"]) {
      const e = await refusal(fx, CP1, "apiserver", buildCsr(withCommonName(cn), withDnsNames(...APISERVER_DNS), withIpAddresses("10.96.0.1", "10.0.0.10")).pem);
      assert.deepEqual(e.violations.map((v) => `${v.field} ${v.rule}`), ["subject.CN common-name-mismatch"], JSON.stringify(cn));
    }
  });
});
