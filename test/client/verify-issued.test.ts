// src/client/verify-issued.ts: what the node client refuses to install, each answer crafted with
// @peculiar/x509's generator (keys in WebCrypto) so one field at a time is wrong: another CA, another
// key, a wrong EKU, a CA certificate, a subject that is not the CSR's (a CN holding "\nO=system:masters"
// too), an expired or future certificate, an answer naming another CA.
import assert from "node:assert/strict";
import { KeyObject, webcrypto, X509Certificate as NodeX509Certificate } from "node:crypto";
import { before, describe, it } from "node:test";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { verifyIssued } from "../../src/client/verify-issued.js";
import type { PreparedFile } from "../../src/client/preflight.js";
import type { SignResult } from "../../src/issuance/types.js";
import { requireProfile } from "../../src/kubeadm/index.js";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const NOW = new Date("2026-11-27T10:00:00Z");
const DAY = 86_400_000;
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

type Keys = webcrypto.CryptoKeyPair;
const generate = () => webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]) as Promise<Keys>;

async function makeCa(keys: Keys, name = "CN=kubernetes"): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    serialNumber: "01",
    notBefore: new Date(NOW.getTime() - DAY),
    notAfter: new Date(NOW.getTime() + 3650 * DAY),
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
}

interface LeafOptions {
  subject?: string;
  eku?: string[];
  ca?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  publicKey?: webcrypto.CryptoKey;
}

async function makeLeaf(ca: x509.X509Certificate, caKeys: Keys, leafKeys: Keys, o: LeafOptions = {}): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    subject: o.subject ?? "O=kubeadm:cluster-admins, CN=kubernetes-admin",
    issuer: ca.subject,
    serialNumber: "1f",
    notBefore: o.notBefore ?? new Date(NOW.getTime() - 300_000),
    notAfter: o.notAfter ?? new Date(NOW.getTime() + 365 * DAY),
    publicKey: o.publicKey ?? leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(o.ca ?? false, undefined, true),
      new x509.ExtendedKeyUsageExtension(o.eku ?? [CLIENT_AUTH]),
    ],
  });
}

describe("verifyIssued", () => {
  let caKeys: Keys;
  let leafKeys: Keys;
  let ca: x509.X509Certificate;
  let file: PreparedFile;

  before(async () => {
    [caKeys, leafKeys] = await Promise.all([generate(), generate()]);
    ca = await makeCa(caKeys);
    // Only what verifyIssued reads of a prepared file: the profile, the paths, the key, the CSR's subject.
    file = {
      pending: { profile: requireProfile("admin.conf"), csrPath: "/etc/kubernetes/admin.conf.csr", keySource: { kind: "kubeconfig", path: "/etc/kubernetes/admin.conf" } },
      privateKey: KeyObject.from(leafKeys.privateKey),
      csr: { commonNames: ["kubernetes-admin"], organizations: ["kubeadm:cluster-admins"] },
    } as unknown as PreparedFile;
  });

  const answer = (leaf: x509.X509Certificate, caCert = ca, issuer = "ca"): SignResult => ({
    name: "admin.conf", profile: "admin.conf", issuer, serial: "1f",
    notBefore: leaf.notBefore.toISOString(), notAfter: leaf.notAfter.toISOString(),
    certificate: leaf.toString("pem") + "\n", caCertificate: caCert.toString("pem") + "\n",
  } as SignResult);
  const context = (serviceCa = ca, nodeCas: x509.X509Certificate[] = [ca]) => ({
    now: NOW,
    serviceCa: new NodeX509Certificate(Buffer.from(serviceCa.rawData)),
    nodeCa: { name: "ca" as const, path: "/etc/kubernetes/pki/ca.crt", certificates: nodeCas.map((c) => new NodeX509Certificate(Buffer.from(c.rawData))), pem: undefined, keyPresent: false },
  });
  const refusal = async (leaf: x509.X509Certificate, options: { caCert?: x509.X509Certificate; issuer?: string; ctx?: ReturnType<typeof context> } = {}) => {
    const outcome = await verifyIssued(file, answer(leaf, options.caCert, options.issuer), options.ctx ?? context());
    assert.equal(outcome.ok, false, "refused");
    return !outcome.ok ? [outcome.problem.reason, outcome.problem.message] : [];
  };

  it("accepts the right certificate and returns its chain as PEM, byte for byte", async () => {
    const leaf = await makeLeaf(ca, caKeys, leafKeys);
    const outcome = await verifyIssued(file, answer(leaf), context());
    assert.ok(outcome.ok, JSON.stringify(outcome));
    assert.equal(outcome.verified.chainPem, new NodeX509Certificate(Buffer.from(leaf.rawData)).toString());
  });

  it("a certificate another CA with the same name signed does not chain", async () => {
    const otherKeys = await generate();
    const other = await makeCa(otherKeys);
    const [reason, message] = await refusal(await makeLeaf(other, otherKeys, leafKeys));
    assert.equal(reason, "NotIssuedByCa");
    assert.match(message!, /does not verify against the service's ca/);
  });

  it("the node's ca.crt must be the anchor too, not only the service's CA", async () => {
    const otherKeys = await generate();
    const [reason, message] = await refusal(await makeLeaf(ca, caKeys, leafKeys), { ctx: context(ca, [await makeCa(otherKeys)]) });
    assert.equal(reason, "NotIssuedByCa");
    assert.match(message!, /does not verify against \/etc\/kubernetes\/pki\/ca\.crt/);
  });

  it("a certificate for another key is refused", async () => {
    const stranger = await generate();
    const [reason] = await refusal(await makeLeaf(ca, caKeys, leafKeys, { publicKey: stranger.publicKey }));
    assert.equal(reason, "PublicKeyMismatch");
  });

  it("serverAuth where clientAuth is due, and a CA certificate, are refused", async () => {
    const [eku, ekuMessage] = await refusal(await makeLeaf(ca, caKeys, leafKeys, { eku: ["1.3.6.1.5.5.7.3.1"] }));
    assert.equal(eku, "UnexpectedContent");
    assert.match(ekuMessage!, /extended key usage is \[1\.3\.6\.1\.5\.5\.7\.3\.1\], expected \[1\.3\.6\.1\.5\.5\.7\.3\.2\]/);
    const [isCa, caMessage] = await refusal(await makeLeaf(ca, caKeys, leafKeys, { ca: true }));
    assert.equal(isCa, "UnexpectedContent");
    assert.match(caMessage!, /is a CA certificate/);
  });

  it("a subject other than the CSR's is refused, and a CN that spells \\nO=system:masters is one CN", async () => {
    const [reason, message] = await refusal(await makeLeaf(ca, caKeys, leafKeys, { subject: "O=system:masters, CN=kubernetes-admin" }));
    assert.equal(reason, "UnexpectedContent");
    assert.match(message!, /subject O is \[system:masters\]/);
    const spoof = new x509.Name([{ "2.5.4.10": [{ utf8String: "kubeadm:cluster-admins" }] }, { "2.5.4.3": [{ utf8String: "kubernetes-admin\nO=system:masters" }] }]);
    const [spoofReason, spoofMessage] = await refusal(await makeLeaf(ca, caKeys, leafKeys, { subject: spoof.toString() }));
    assert.equal(spoofReason, "UnexpectedContent");
    assert.match(spoofMessage!, /subject CN is "kubernetes-admin\nO=system:masters"/);
  });

  it("an expired certificate, and one valid only from tomorrow, are refused", async () => {
    const [expired] = await refusal(await makeLeaf(ca, caKeys, leafKeys, { notBefore: new Date(NOW.getTime() - 10 * DAY), notAfter: new Date(NOW.getTime() - DAY) }));
    assert.equal(expired, "OutsideValidity");
    const [future, message] = await refusal(await makeLeaf(ca, caKeys, leafKeys, { notBefore: new Date(NOW.getTime() + DAY) }));
    assert.equal(future, "OutsideValidity");
    assert.match(message!, /check the clocks/);
  });

  it("an answer whose caCertificate or issuer is not the CA GET /v1/ca reported is a bad answer", async () => {
    const leaf = await makeLeaf(ca, caKeys, leafKeys);
    const [reason] = await refusal(leaf, { caCert: await makeCa(await generate()) });
    assert.equal(reason, "BadAnswer");
    const [issuer, message] = await refusal(leaf, { issuer: "etcd-ca" });
    assert.equal(issuer, "BadAnswer");
    assert.match(message!, /the service says issuer etcd-ca/);
  });
});
