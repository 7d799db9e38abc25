import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { describe, test } from "node:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { BasicConstraints, Certificate, KeyUsage, KeyUsageFlags, SubjectAlternativeName } from "@peculiar/asn1-x509";
import { compileLeafExtensions, createCaCertificate, createLeafIssuer, parseCsr, readCaCertificate } from "../../src/pki/index.js";
import { buildCsr, toPem } from "../support/csr-builder.js";
import { opensslCertText, opensslSelfSigned, opensslVerify } from "../support/openssl.js";
import { CA_SERIAL, colonHex, expectedKeyId, HOUR, makeCa, NOW, NOW_S, SIGNER_CASES, signerFor, YEAR_S } from "./ca-fixture.js";
import { assertRefused, assertRejected } from "./refusal.js";

describe("createCaCertificate makes kubeadm's self-signed CA through a Signer", () => {
  for (const c of SIGNER_CASES) {
    test(`a ${c.label} CA passes openssl -x509_strict and shows CA:TRUE, keyCertSign and DNS:kubernetes`, async () => {
      const signer = signerFor(c);
      const { info } = await makeCa(signer);
      const verify = await opensslVerify({ caPem: info.pem, certPem: info.pem, at: NOW });
      assert.equal(verify.code, 0, verify.stderr);
      const text = await opensslCertText(info.pem);
      const keyId = colonHex(expectedKeyId(signer.publicKey));
      assert.match(text, /Version: 3 \(0x2\)/);
      assert.match(text, /Serial Number: 81985529216486895 \(0x123456789abcdef\)/);
      assert.match(text, new RegExp(`Signature Algorithm: ${c.opensslName}`));
      assert.match(text, /Issuer: CN = kubernetes\n/);
      assert.match(text, /Subject: CN = kubernetes\n/);
      assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment, Certificate Sign\n/);
      assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
      assert.match(text, new RegExp(`X509v3 Subject Key Identifier: \\n\\s+${keyId}\\n`));
      assert.match(text, new RegExp(`X509v3 Authority Key Identifier: \\n\\s+${keyId}\\n`));
      assert.match(text, /X509v3 Subject Alternative Name: \n\s+DNS:kubernetes\n/);
      assert.doesNotMatch(text, /Extended Key Usage/);
    });
  }

  test("fields, extension order and criticality are exactly kubeadm's", async () => {
    const signer = signerFor(SIGNER_CASES[0]!);
    const { der } = await makeCa(signer, { commonName: "etcd-ca" });
    const x = new X509Certificate(der);
    assert.equal(x.ca, true);
    assert.equal(x.subject, "CN=etcd-ca");
    assert.equal(x.issuer, "CN=etcd-ca");
    assert.equal(x.serialNumber, "0123456789ABCDEF");
    assert.equal(new Date(x.validFrom).toISOString(), new Date(NOW_S.getTime() - HOUR).toISOString());
    assert.equal(new Date(x.validTo).toISOString(), new Date(NOW_S.getTime() + 10 * YEAR_S * 1000).toISOString());
    assert.equal(x.verify(x.publicKey), true, "self-signed with the signer's key");
    assert.equal(Buffer.from(x.publicKey.export({ type: "spki", format: "der" })).toString("hex"), Buffer.from(signer.publicKey).toString("hex"));

    const cert = AsnConvert.parse(der, Certificate);
    const exts = cert.tbsCertificate.extensions!;
    assert.deepEqual(
      Array.from(exts, (e) => [e.extnID, e.critical]),
      [
        ["2.5.29.15", true],
        ["2.5.29.19", true],
        ["2.5.29.14", false],
        ["2.5.29.35", false],
        ["2.5.29.17", false],
      ],
    );
    assert.equal(
      AsnConvert.parse(exts[0]!.extnValue, KeyUsage).toNumber(),
      KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment | KeyUsageFlags.keyCertSign,
    );
    const bc = AsnConvert.parse(exts[1]!.extnValue, BasicConstraints);
    assert.equal(bc.cA, true);
    assert.equal(bc.pathLenConstraint, undefined);
    assert.deepEqual(Array.from(AsnConvert.parse(exts[4]!.extnValue, SubjectAlternativeName), (n) => n.dNSName), ["etcd-ca"]);
    // Go writes a printable CN as PrintableString (0x13), as kubeadm's CAs carry it.
    assert.ok(Buffer.from(der).includes(Buffer.from([0x13, 0x07, ...Buffer.from("etcd-ca")])));
  });

  test("a notAfter from 2050 is a GeneralizedTime, before 2050 a UTCTime", async () => {
    const { der } = await makeCa(signerFor(SIGNER_CASES[0]!), { notAfter: new Date("2050-01-01T00:00:00Z") });
    const v = AsnConvert.parse(der, Certificate).tbsCertificate.validity;
    assert.ok(v.notBefore.utcTime && !v.notBefore.generalTime);
    assert.equal(v.notAfter.generalTime?.toISOString(), "2050-01-01T00:00:00.000Z");
  });

  test("a notBefore before 1950 is a GeneralizedTime too (RFC 5280 §4.1.2.5), and reads back as 1949", async () => {
    const { der, info } = await makeCa(signerFor(SIGNER_CASES[0]!), { notBefore: new Date("1949-12-31T23:59:59Z") });
    const v = AsnConvert.parse(der, Certificate).tbsCertificate.validity;
    assert.equal(v.notBefore.generalTime?.toISOString(), "1949-12-31T23:59:59.000Z");
    assert.ok(v.notAfter.utcTime && !v.notAfter.generalTime);
    assert.equal(info.notBefore.toISOString(), "1949-12-31T23:59:59.000Z");
    assert.equal(new Date(new X509Certificate(der).validFrom).toISOString(), "1949-12-31T23:59:59.000Z");
  });

  test("a notAfter not after notBefore is refused", async () => {
    await assertRejected(
      createCaCertificate({ commonName: "kubernetes", signer: signerFor(SIGNER_CASES[0]!), serial: CA_SERIAL, notBefore: NOW, notAfter: NOW }),
      "KUBECA_CONFIG_INVALID",
      /notAfter must be after its notBefore/,
    );
  });
});

describe("readCaCertificate", () => {
  test("returns what leaves need: subject DER and text, SKI, SPKI, validity, PEM and digest", async () => {
    const signer = signerFor(SIGNER_CASES[0]!);
    const { der } = await makeCa(signer);
    for (const input of [der, toPem("CERTIFICATE", der), `subject=CN = kubernetes\n\n${toPem("CERTIFICATE", der)}`]) {
      const info = readCaCertificate(input);
      assert.equal(info.subjectText, "CN=kubernetes");
      assert.equal(Buffer.from(info.subjectDer).toString("hex"), "3015311330110603550403130a6b756265726e65746573");
      assert.equal(Buffer.from(info.subjectKeyId).toString("hex"), expectedKeyId(signer.publicKey));
      assert.equal(Buffer.from(info.spkiDer).toString("hex"), Buffer.from(signer.publicKey).toString("hex"));
      assert.equal(info.notBefore.toISOString(), new Date(NOW_S.getTime() - HOUR).toISOString());
      assert.equal(info.notAfter.toISOString(), new Date(NOW_S.getTime() + 10 * YEAR_S * 1000).toISOString());
      assert.equal(info.pem, toPem("CERTIFICATE", der));
      assert.equal(info.sha256, createHash("sha256").update(der).digest("hex"));
    }
  });

  test("refuses a leaf certificate", async () => {
    const signer = signerFor(SIGNER_CASES[0]!);
    const { info } = await makeCa(signer);
    const leaf = await createLeafIssuer(info, signer).issue({
      csr: parseCsr(buildCsr().pem),
      extensions: compileLeafExtensions(["clientAuth"]),
      serial: new Uint8Array([7]),
      now: NOW,
      validitySeconds: 3600,
    });
    assertRefused(
      () => readCaCertificate(leaf.pem),
      "KUBECA_CA_INVALID",
      "CN=kube-apiserver is not a CA certificate (BasicConstraints CA:TRUE is missing); use the CA's certificate, not a leaf",
    );
  });

  test("refuses a CA without Subject Key Identifier", async () => {
    const pem = await opensslSelfSigned(["basicConstraints = critical, CA:TRUE", "subjectKeyIdentifier = none", "authorityKeyIdentifier = none"]);
    assertRefused(
      () => readCaCertificate(pem),
      "KUBECA_CA_INVALID",
      "CN=test-ca has no Subject Key Identifier; leaves need it for their Authority Key Identifier",
    );
  });

  test("refuses a CA whose KeyUsage lacks keyCertSign", async () => {
    const pem = await opensslSelfSigned(["basicConstraints = critical, CA:TRUE", "keyUsage = critical, digitalSignature", "subjectKeyIdentifier = hash"]);
    assertRefused(() => readCaCertificate(pem), "KUBECA_CA_INVALID", "CN=test-ca has a KeyUsage without keyCertSign, so it may not sign certificates");
  });

  test("accepts an openssl-made CA and reads its SKI", async () => {
    const pem = await opensslSelfSigned(["basicConstraints = critical, CA:TRUE", "keyUsage = critical, keyCertSign, cRLSign", "subjectKeyIdentifier = hash"]);
    const info = readCaCertificate(pem);
    assert.equal(info.subjectText, "CN=test-ca");
    assert.equal(Buffer.from(info.subjectKeyId).toString("hex"), expectedKeyId(info.spkiDer));
  });

  test("refuses files with a private key, with several certificates or with none", async () => {
    const { info } = await makeCa(signerFor(SIGNER_CASES[0]!));
    assertRefused(
      () => readCaCertificate(`${info.pem}-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n`),
      "KUBECA_CA_INVALID",
      "the CA certificate file contains a private key; kubeca never holds CA keys: remove the key from the file",
    );
    assertRefused(() => readCaCertificate(info.pem + info.pem), "KUBECA_CA_INVALID", "found 2 CERTIFICATE blocks; a CA certificate file holds exactly one");
    assertRefused(() => readCaCertificate(info.pem.replaceAll("CERTIFICATE", "X509 CRL")), "KUBECA_CA_INVALID", "found 0 CERTIFICATE blocks; a CA certificate file holds exactly one");
  });

  test("refuses bytes that are not a certificate", () => {
    assertRefused(() => readCaCertificate(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])), "KUBECA_CA_INVALID", /^the CA certificate is not valid DER X.509: /);
  });
});
