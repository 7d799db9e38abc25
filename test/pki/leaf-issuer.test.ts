import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { describe, test } from "node:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AuthorityKeyIdentifier, BasicConstraints, Certificate, ExtendedKeyUsage, KeyUsage, KeyUsageFlags, SubjectKeyIdentifier } from "@peculiar/asn1-x509";
import { compileLeafExtensions, createLeafIssuer, parseCsr, randomSerial, type ExtKeyUsageName, type ParsedCsr } from "../../src/pki/index.js";
import { buildCsr, withCommonName, withDnsNames, withIpAddresses, withKey, withOrganizations, withoutSubject } from "../support/csr-builder.js";
import { opensslCertText, opensslVerify } from "../support/openssl.js";
import { colonHex, expectedKeyId, HOUR, makeCa, NOW, NOW_S, SIGNER_CASES, signerFor, YEAR_S } from "./ca-fixture.js";
import { assertRejected } from "./refusal.js";

const SERIAL = new Uint8Array([0x3a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);

// spec §6 vectors (cp-1, 10.0.0.10, k8s.example.internal).
const apiserverCsr = () =>
  parseCsr(
    buildCsr(
      withKey("RSA-2048"),
      withCommonName("kube-apiserver"),
      withDnsNames("cp-1", "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"),
      withIpAddresses("10.96.0.1", "10.0.0.10"),
    ).pem,
  );
const adminCsr = () => parseCsr(buildCsr(withCommonName("kubernetes-admin"), withOrganizations("kubeadm:cluster-admins")).pem);
const etcdServerCsr = () =>
  parseCsr(buildCsr(withKey("P-384"), withCommonName("cp-1"), withDnsNames("cp-1", "localhost"), withIpAddresses("10.0.0.10", "127.0.0.1", "::1")).pem);

async function issueUnder(signerCase = SIGNER_CASES[0]!, csr: ParsedCsr, eku: ExtKeyUsageName[], opts: { validitySeconds?: number; caNotAfter?: Date; now?: Date } = {}) {
  const signer = signerFor(signerCase);
  const { info } = await makeCa(signer, opts.caNotAfter ? { notAfter: opts.caNotAfter } : {});
  const issued = await createLeafIssuer(info, signer).issue({
    csr,
    extensions: compileLeafExtensions(eku),
    serial: SERIAL,
    now: opts.now ?? NOW,
    validitySeconds: opts.validitySeconds ?? YEAR_S,
  });
  return { ca: info, issued, signer };
}

const extensionsOf = (der: Uint8Array) => Array.from(AsnConvert.parse(der, Certificate).tbsCertificate.extensions ?? []);

describe("leaves pass openssl verify -x509_strict with the right purpose under every signer", () => {
  for (const c of SIGNER_CASES) {
    test(`${c.label}: apiserver (serverAuth) verifies as sslserver and not as sslclient`, async () => {
      const { ca, issued } = await issueUnder(c, apiserverCsr(), ["serverAuth"]);
      const server = await opensslVerify({ caPem: ca.pem, certPem: issued.pem, purpose: "sslserver", at: NOW });
      assert.equal(server.code, 0, server.stderr);
      assert.match(server.stdout, /cert\.pem: OK/);
      const client = await opensslVerify({ caPem: ca.pem, certPem: issued.pem, purpose: "sslclient", at: NOW });
      assert.notEqual(client.code, 0, "a serverAuth-only leaf must not pass as a client certificate");
      assert.match(await opensslCertText(issued.pem), new RegExp(`Signature Algorithm: ${c.opensslName}`));
    });

    test(`${c.label}: admin.conf (clientAuth) verifies as sslclient, etcd/server (both) as either`, async () => {
      const admin = await issueUnder(c, adminCsr(), ["clientAuth"]);
      const r = await opensslVerify({ caPem: admin.ca.pem, certPem: admin.issued.pem, purpose: "sslclient", at: NOW });
      assert.equal(r.code, 0, r.stderr);
      const etcd = await issueUnder(c, etcdServerCsr(), ["serverAuth", "clientAuth"]);
      for (const purpose of ["sslserver", "sslclient"] as const) {
        const v = await opensslVerify({ caPem: etcd.ca.pem, certPem: etcd.issued.pem, purpose, at: NOW });
        assert.equal(v.code, 0, `${purpose}: ${v.stderr}`);
      }
    });
  }
});

describe("leaf fields", () => {
  test("serial, validity, names, key and extensions are exactly as specified", async () => {
    const csr = apiserverCsr();
    const { ca, issued, signer } = await issueUnder(SIGNER_CASES[0], csr, ["serverAuth"]);
    const x = new X509Certificate(issued.der);
    assert.equal(x.serialNumber, "3A112233445566778899AABBCCDDEEFF");
    assert.equal(issued.serialHex, "3a112233445566778899aabbccddeeff");
    assert.equal(issued.notBefore.toISOString(), "2026-11-27T09:55:00.000Z", "now − 5 min, whole seconds");
    assert.equal(issued.notAfter.toISOString(), new Date(NOW_S.getTime() + YEAR_S * 1000).toISOString());
    assert.equal(new Date(x.validFrom).toISOString(), issued.notBefore.toISOString());
    assert.equal(new Date(x.validTo).toISOString(), issued.notAfter.toISOString());
    assert.equal(x.issuer, "CN=kubernetes");
    assert.equal(x.subject, "CN=kube-apiserver");
    assert.equal(x.ca, false);
    assert.deepEqual(x.keyUsage, ["1.3.6.1.5.5.7.3.1"]);
    assert.equal(
      x.subjectAltName,
      "DNS:cp-1, DNS:k8s.example.internal, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, IP Address:10.96.0.1, IP Address:10.0.0.10",
    );
    assert.equal(Buffer.from(x.publicKey.export({ type: "spki", format: "der" })).toString("hex"), Buffer.from(csr.spkiDer).toString("hex"));
    assert.equal(x.verify(x509Key(ca.der)), true, "signed by the CA key");
    assert.equal(x.checkIssued(new X509Certificate(ca.der)), true);
    assert.equal(issued.sha256, createHash("sha256").update(issued.der).digest("hex"));
    assert.equal(new X509Certificate(issued.pem).fingerprint256, x.fingerprint256);

    const text = await opensslCertText(issued.pem);
    assert.match(text, /Version: 3 \(0x2\)/);
    assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
    assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
    assert.match(text, new RegExp(`X509v3 Subject Key Identifier: \\n\\s+${colonHex(expectedKeyId(csr.spkiDer))}\\n`));
    assert.match(text, new RegExp(`X509v3 Authority Key Identifier: \\n\\s+${colonHex(expectedKeyId(signer.publicKey))}\\n`));
  });

  test("extensions come in order BC, KU, EKU, SKI, AKI, SAN with kubeadm's criticality", async () => {
    const csr = etcdServerCsr();
    const { ca, issued } = await issueUnder(SIGNER_CASES[0], csr, ["serverAuth", "clientAuth"]);
    const exts = extensionsOf(issued.der);
    assert.deepEqual(
      exts.map((e) => [e.extnID, e.critical]),
      [
        ["2.5.29.19", true],
        ["2.5.29.15", true],
        ["2.5.29.37", false],
        ["2.5.29.14", false],
        ["2.5.29.35", false],
        ["2.5.29.17", false],
      ],
    );
    const [bc, ku, eku, ski, aki] = exts;
    assert.equal(AsnConvert.parse(bc!.extnValue, BasicConstraints).cA, false);
    assert.equal(AsnConvert.parse(ku!.extnValue, KeyUsage).toNumber(), KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment);
    assert.deepEqual(Array.from(AsnConvert.parse(eku!.extnValue, ExtendedKeyUsage)), ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    assert.equal(Buffer.from(AsnConvert.parse(ski!.extnValue, SubjectKeyIdentifier).buffer).toString("hex"), expectedKeyId(csr.spkiDer));
    const akid = AsnConvert.parse(aki!.extnValue, AuthorityKeyIdentifier);
    assert.equal(Buffer.from(akid.keyIdentifier!.buffer).toString("hex"), Buffer.from(ca.subjectKeyId).toString("hex"));
    assert.equal(akid.authorityCertIssuer, undefined);
  });

  test("the CSR's subject, SPKI and GeneralNames bytes are embedded unchanged", async () => {
    const csr = etcdServerCsr();
    const { issued } = await issueUnder(SIGNER_CASES[0], csr, ["serverAuth"]);
    const cert = AsnConvert.parse(issued.der, Certificate);
    const san = extensionsOf(issued.der).find((e) => e.extnID === "2.5.29.17")!;
    assert.equal(Buffer.from(san.extnValue.buffer).toString("hex"), Buffer.from(csr.sanDer!).toString("hex"));
    assert.equal(Buffer.from(AsnConvert.serialize(cert.tbsCertificate.subject)).toString("hex"), Buffer.from(csr.subjectDer).toString("hex"));
    assert.equal(Buffer.from(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)).toString("hex"), Buffer.from(csr.spkiDer).toString("hex"));
  });

  test("both signature algorithm fields name the signer's algorithm", async () => {
    const { issued } = await issueUnder(SIGNER_CASES[3], adminCsr(), ["clientAuth"]);
    const cert = AsnConvert.parse(issued.der, Certificate);
    assert.equal(cert.signatureAlgorithm.algorithm, "1.2.840.113549.1.1.10");
    assert.deepEqual(AsnConvert.serialize(cert.tbsCertificate.signature), AsnConvert.serialize(cert.signatureAlgorithm));
  });

  test("a client leaf without SANs has no SAN extension", async () => {
    const { issued } = await issueUnder(SIGNER_CASES[0], adminCsr(), ["clientAuth"]);
    assert.deepEqual(
      extensionsOf(issued.der).map((e) => e.extnID),
      ["2.5.29.19", "2.5.29.15", "2.5.29.37", "2.5.29.14", "2.5.29.35"],
    );
    assert.equal(new X509Certificate(issued.der).subject, "CN=kubernetes-admin\nO=kubeadm:cluster-admins");
  });

  test("the SAN is critical when the subject is empty, and openssl -x509_strict accepts it", async () => {
    const csr = parseCsr(buildCsr(withoutSubject(), withDnsNames("cp-1"), withIpAddresses("10.0.0.10")).pem);
    const { ca, issued } = await issueUnder(SIGNER_CASES[0], csr, ["serverAuth"]);
    const san = extensionsOf(issued.der).find((e) => e.extnID === "2.5.29.17")!;
    assert.equal(san.critical, true);
    const r = await opensslVerify({ caPem: ca.pem, certPem: issued.pem, purpose: "sslserver", at: NOW });
    assert.equal(r.code, 0, r.stderr);
    assert.match(await opensslCertText(issued.pem), /X509v3 Subject Alternative Name: critical\n\s+DNS:cp-1, IP Address:10.0.0.10\n/);
  });

  test("the same inputs give the same TBSCertificate bytes", async () => {
    const csr = adminCsr();
    const signer = signerFor(SIGNER_CASES[0]!);
    const { info } = await makeCa(signer);
    const issuer = createLeafIssuer(info, signer);
    const req = { csr, extensions: compileLeafExtensions(["clientAuth"]), serial: SERIAL, now: NOW, validitySeconds: 3600 };
    const a = AsnConvert.parse((await issuer.issue(req)).der, Certificate).tbsCertificateRaw!;
    const b = AsnConvert.parse((await issuer.issue(req)).der, Certificate).tbsCertificateRaw!;
    assert.deepEqual(new Uint8Array(a), new Uint8Array(b));
  });
});

describe("leaf validity", () => {
  test("NotAfter is capped at the CA's NotAfter", async () => {
    const caNotAfter = new Date(NOW_S.getTime() + 24 * HOUR);
    const { ca, issued } = await issueUnder(SIGNER_CASES[0], adminCsr(), ["clientAuth"], { caNotAfter });
    assert.equal(issued.notAfter.toISOString(), caNotAfter.toISOString());
    assert.equal(new Date(new X509Certificate(issued.der).validTo).toISOString(), caNotAfter.toISOString());
    const r = await opensslVerify({ caPem: ca.pem, certPem: issued.pem, purpose: "sslclient", at: NOW });
    assert.equal(r.code, 0, r.stderr);
  });

  test("a short validity is exact from the pinned now", async () => {
    const { issued } = await issueUnder(SIGNER_CASES[0], adminCsr(), ["clientAuth"], { validitySeconds: 600 });
    assert.equal(issued.notAfter.toISOString(), "2026-11-27T10:10:00.000Z");
  });

  test("dates before 2050 are UTCTime, from 2050 GeneralizedTime", async () => {
    const now = new Date("2049-12-31T23:00:00Z");
    const { issued } = await issueUnder(SIGNER_CASES[0], adminCsr(), ["clientAuth"], {
      now,
      validitySeconds: 2 * 3600,
      caNotAfter: new Date("2060-01-01T00:00:00Z"),
    });
    const v = AsnConvert.parse(issued.der, Certificate).tbsCertificate.validity;
    assert.equal(v.notBefore.utcTime?.toISOString(), "2049-12-31T22:55:00.000Z");
    assert.equal(v.notBefore.generalTime, undefined);
    assert.equal(v.notAfter.generalTime?.toISOString(), "2050-01-01T01:00:00.000Z");
    assert.equal(v.notAfter.utcTime, undefined);
    assert.ok(Buffer.from(issued.der).includes(Buffer.from("20500101010000Z")), "GeneralizedTime text, 4-digit year");
  });

  test("an expired CA issues nothing", async () => {
    const signer = signerFor(SIGNER_CASES[0]!);
    const { info } = await makeCa(signer, { notBefore: new Date("2020-01-01T00:00:00Z"), notAfter: new Date("2021-01-01T00:00:00Z") });
    await assertRejected(
      createLeafIssuer(info, signer).issue({ csr: adminCsr(), extensions: compileLeafExtensions(["clientAuth"]), serial: SERIAL, now: NOW, validitySeconds: 3600 }),
      "KUBECA_CA_INVALID",
      /^the CA certificate CN=kubernetes expired at 2021-01-01T00:00:00.000Z; nothing can be issued under it$/,
    );
  });

  test("a validity that is not a positive whole number of seconds is refused", async () => {
    const signer = signerFor(SIGNER_CASES[0]!);
    const { info } = await makeCa(signer);
    const issuer = createLeafIssuer(info, signer);
    for (const validitySeconds of [0, -1, 1.5, Number.NaN]) {
      await assertRejected(
        issuer.issue({ csr: adminCsr(), extensions: compileLeafExtensions(["clientAuth"]), serial: SERIAL, now: NOW, validitySeconds }),
        "KUBECA_INTERNAL",
        /validity must be a positive whole number of seconds/,
      );
    }
  });
});

describe("serials", () => {
  test("randomSerial is 16 bytes, positive (top bit clear) and never zero", () => {
    let topBitSeen = 0;
    for (let i = 0; i < 2000; i++) {
      const s = randomSerial();
      assert.equal(s.length, 16);
      assert.equal(s[0]! & 0x80, 0);
      assert.ok(s.some((b) => b !== 0));
      topBitSeen |= s[0]! & 0x40;
    }
    assert.equal(topBitSeen, 0x40, "the remaining 127 bits are used");
  });

  test("randomSerial never repeats across refills of its random pool, and each serial is its own copy", () => {
    // 1,000 serials span several refills of the 4 KiB pool; a reused or shared slice would show here.
    const serials = Array.from({ length: 1000 }, () => randomSerial());
    assert.equal(new Set(serials.map((s) => Buffer.from(s).toString("hex"))).size, serials.length);
    const first = serials[0]!;
    const before = Buffer.from(first).toString("hex");
    serials[1]!.fill(0);
    randomSerial().fill(0);
    assert.equal(Buffer.from(first).toString("hex"), before, "zeroing other serials leaves this one alone");
    assert.equal(first.buffer.byteLength, 16, "a serial owns its bytes, not a view of the pool");
  });

  test("a serial is encoded as a positive INTEGER and shown without leading zeros", async () => {
    const signer = signerFor(SIGNER_CASES[0]!);
    const { info } = await makeCa(signer);
    const issuer = createLeafIssuer(info, signer);
    const base = { csr: adminCsr(), extensions: compileLeafExtensions(["clientAuth"]), now: NOW, validitySeconds: 3600 };
    const high = await issuer.issue({ ...base, serial: new Uint8Array([0xff, 0x01]) });
    assert.equal(high.serialHex, "ff01");
    const content = AsnConvert.parse(high.der, Certificate).tbsCertificate.serialNumber;
    assert.equal(Buffer.from(content).toString("hex"), "00ff01", "sign-padding zero, so the INTEGER is positive");
    const padded = await issuer.issue({ ...base, serial: new Uint8Array([0, 0, 0x0a]) });
    assert.equal(padded.serialHex, "a");
    await assertRejected(issuer.issue({ ...base, serial: new Uint8Array(16) }), "KUBECA_INTERNAL", /serial is zero/);
    await assertRejected(issuer.issue({ ...base, serial: new Uint8Array(20).fill(0xff) }), "KUBECA_INTERNAL", /longer than 20 octets/);
  });
});

describe("compileLeafExtensions", () => {
  test("encodes BasicConstraints, KeyUsage and EKU exactly as Go does, once, frozen", () => {
    const ext = compileLeafExtensions(["serverAuth", "clientAuth"]);
    assert.equal(Buffer.from(ext.basicConstraints).toString("hex"), "300c0603551d130101ff04023000");
    assert.equal(Buffer.from(ext.keyUsage).toString("hex"), "300e0603551d0f0101ff0404030205a0");
    assert.equal(Buffer.from(ext.extKeyUsageDer).toString("hex"), "301d0603551d250416301406082b0601050507030106082b06010505070302");
    assert.deepEqual(ext.extKeyUsage, ["serverAuth", "clientAuth"]);
    assert.equal(Object.isFrozen(ext), true);
    assert.equal(Buffer.from(compileLeafExtensions(["clientAuth"]).extKeyUsageDer).toString("hex"), "30130603551d25040c300a06082b06010505070302");
  });

  test("encodes KeyUsage digitalSignature alone when key encipherment is not asked for, as Go does", () => {
    assert.equal(Buffer.from(compileLeafExtensions(["serverAuth"], { keyEncipherment: false }).keyUsage).toString("hex"), "300e0603551d0f0101ff040403020780");
    assert.equal(Buffer.from(compileLeafExtensions(["serverAuth"], { keyEncipherment: true }).keyUsage).toString("hex"), "300e0603551d0f0101ff0404030205a0");
  });

  test("refuses an empty or unknown EKU list", () => {
    assert.throws(() => compileLeafExtensions([]), /at least one extended key usage/);
    assert.throws(() => compileLeafExtensions(["codeSigning" as ExtKeyUsageName]), /unknown extended key usage codeSigning/);
  });
});

function x509Key(caDer: Uint8Array) {
  return new X509Certificate(caDer).publicKey;
}
