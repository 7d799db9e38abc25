// src/pki/ca-inspection.ts: CA certificates read with @peculiar/x509 (what `ca show` prints and `ca init`
// checks before writing), against certificates from our encoder for every signer kind and from openssl.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { describe, test } from "node:test";
import { inspectCaCertificate, kubeadmCaDifferences } from "../../src/pki/ca-inspection.js";
import { readCaCertificate } from "../../src/pki/index.js";
import { opensslSelfSigned } from "../support/openssl.js";
import { expectedKeyId, makeCa, SIGNER_CASES, signerFor } from "./ca-fixture.js";

const KEY_TYPES: Record<string, string> = { "P-256": "ECDSA P-256", "P-384": "ECDSA P-384", "RSA-2048 PKCS#1 v1.5": "RSA 2048", "RSA-2048 PSS": "RSA 2048" };

describe("inspectCaCertificate", () => {
  for (const c of SIGNER_CASES) {
    test(`a ${c.label} CA from createCaCertificate is kubeadm's CA, self-signed, as node and openssl read it`, async () => {
      const signer = signerFor(c);
      const { der } = await makeCa(signer);
      const shown = await inspectCaCertificate(der);
      const node = new X509Certificate(der);
      assert.equal(shown.subject, "CN=kubernetes");
      assert.equal(shown.keyType, KEY_TYPES[c.label]);
      assert.equal(shown.sha256Fingerprint, node.fingerprint256);
      assert.equal(shown.notAfter, new Date(node.validTo).toISOString());
      assert.equal(shown.selfSigned, true);
      assert.equal(shown.subjectKeyId, expectedKeyId(signer.publicKey));
      assert.deepEqual(shown.keyUsage, ["digitalSignature", "keyEncipherment", "keyCertSign"]);
      assert.deepEqual(kubeadmCaDifferences(shown, "kubernetes"), []);
      assert.deepEqual(kubeadmCaDifferences(shown, "etcd-ca"), [
        "subject and issuer must be CN=etcd-ca, not CN=kubernetes / CN=kubernetes",
        "the DNS SANs are [kubernetes], not [etcd-ca]",
      ]);
    });
  }

  test("a signature over other bytes is not self-signed", async () => {
    const { der } = await makeCa(signerFor(SIGNER_CASES[0]!));
    const tampered = new Uint8Array(der);
    tampered[tampered.length - 10]! ^= 0x01; // inside the signature value
    const shown = await inspectCaCertificate(tampered);
    assert.equal(shown.selfSigned, false);
    assert.deepEqual(kubeadmCaDifferences(shown, "kubernetes"), ["the signature does not verify with the certificate's own public key"]);
  });

  test("an openssl CA without KeyUsage and SAN is named for each difference", async () => {
    const pem = await opensslSelfSigned(["basicConstraints = critical, CA:TRUE", "subjectKeyIdentifier = hash", "authorityKeyIdentifier = keyid:always"], "CN=kubernetes");
    const shown = await inspectCaCertificate(readCaCertificate(pem).der);
    assert.equal(shown.selfSigned, true);
    assert.deepEqual(kubeadmCaDifferences(shown, "kubernetes"), [
      "BasicConstraints and KeyUsage must be critical",
      "KeyUsage is []",
      "the DNS SANs are [], not [kubernetes]",
    ]);
  });
});
