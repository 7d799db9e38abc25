// What a node must trust, one rule at a time: the bundle's order follows the issuer of the node's
// kubeadm-checked leaf, kube-controller-manager's --client-ca-file is rewritten in its manifest and
// nowhere else, a CA file is left alone when a leaf on the node would stop chaining to the new one,
// and the same certificates in another PEM text are no change.
import assert from "node:assert/strict";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { orderBundle, planTrust, withClientCaFile, type NodeLeaf, type ServiceTrust } from "../../src/client/node-trust.js";
import { createCaCertificate, createLeafIssuer, compileLeafExtensions, encodePem, readCaCertificate } from "../../src/pki/index.js";
import { parseCsr } from "../../src/pki/index.js";
import { createMemorySigner } from "../../src/signers/memory.js";
import { buildCsr, withCommonName, withKey } from "../support/csr-builder.js";

async function makeCa(): Promise<{ cert: X509Certificate; leaf: (cn: string) => Promise<X509Certificate> }> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const signer = createMemorySigner("ECDSA-P256", { key: privateKey });
  const now = Date.now();
  const der = await createCaCertificate({ commonName: "kubernetes", signer, serial: new Uint8Array([1]), notBefore: new Date(now - 60_000), notAfter: new Date(now + 86400_000) });
  const info = readCaCertificate(der);
  const issuer = createLeafIssuer(info, signer);
  let serial = 1;
  return {
    cert: new X509Certificate(encodePem("CERTIFICATE", der)),
    async leaf(cn: string) {
      const csr = parseCsr(buildCsr(withKey("P-256"), withCommonName(cn)).pem);
      const issued = await issuer.issue({ csr, extensions: compileLeafExtensions(["clientAuth"]), serial: new Uint8Array([++serial]), now: new Date(), validitySeconds: 3600 });
      return new X509Certificate(issued.pem);
    },
  };
}

const MANIFEST = (caFile: string) => `apiVersion: v1
kind: Pod
metadata:
  name: kube-controller-manager
spec:
  containers:
  - command:
    - kube-controller-manager
    - --client-ca-file=${caFile}
    # the root CA stays the bundle
    - --root-ca-file=/etc/kubernetes/pki/ca.crt
    name: kube-controller-manager
`;

describe("node trust", () => {
  let current: Awaited<ReturnType<typeof makeCa>>;
  let next: Awaited<ReturnType<typeof makeCa>>;
  let dir: string;

  before(async () => {
    current = await makeCa();
    next = await makeCa();
    dir = await mkdtemp(join(tmpdir(), "kubeca-trust-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const trust = (phase: ServiceTrust["phase"], signing: X509Certificate, trusted: X509Certificate[]): ServiceTrust => ({ name: "ca", signing, trusted, phase });

  it("the bundle starts with the CA that issued the node's apiserver.crt, else with the signing CA", async () => {
    const t = trust("sign-new", next.cert, [next.cert, current.cert]);
    const oldApiserver: NodeLeaf = { file: "apiserver", issuerCa: "ca", certificate: await current.leaf("kube-apiserver") };
    assert.deepEqual(orderBundle(t, [oldApiserver]).map((c) => c.fingerprint256), [current.cert.fingerprint256, next.cert.fingerprint256]);
    const newApiserver: NodeLeaf = { ...oldApiserver, certificate: await next.leaf("kube-apiserver") };
    assert.deepEqual(orderBundle(t, [newApiserver]).map((c) => c.fingerprint256), [next.cert.fingerprint256, current.cert.fingerprint256]);
    // A worker has no apiserver.crt: the signing CA comes first.
    assert.equal(orderBundle(t, [])[0]!.fingerprint256, next.cert.fingerprint256);
  });

  it("--client-ca-file is rewritten in the controller-manager's command only, comments and other flags kept", () => {
    const edited = withClientCaFile(MANIFEST("/etc/kubernetes/pki/ca.crt"), ["/etc/kubernetes/pki/ca.crt", "/etc/kubernetes/pki/kubeca-kcm-client-ca.crt"]);
    assert.equal(edited, MANIFEST("/etc/kubernetes/pki/kubeca-kcm-client-ca.crt"));
    assert.equal(withClientCaFile(MANIFEST("/somewhere/else.crt"), ["/etc/kubernetes/pki/ca.crt", "/x"]), undefined, "a flag pointing elsewhere is the operator's");
  });

  it("trust-both on a node: ca.crt becomes both CAs, the controller-manager gets a one-certificate copy", async () => {
    const certDir = join(dir, "a/pki");
    const manifestDir = join(dir, "a/manifests");
    await mkdir(certDir, { recursive: true });
    await mkdir(manifestDir, { recursive: true });
    await writeFile(join(manifestDir, "kube-controller-manager.yaml"), MANIFEST(join(certDir, "ca.crt")));
    const leaf: NodeLeaf = { file: "apiserver", issuerCa: "ca", certificate: await current.leaf("kube-apiserver") };
    const plan = await planTrust({
      dirs: { certDir, kubeconfigDir: join(dir, "a") },
      manifestDir,
      service: new Map([["ca", trust("trust-both", current.cert, [current.cert, next.cert])]]),
      nodeFiles: new Map([["ca", { path: join(certDir, "ca.crt"), pem: current.cert.toString(), certificates: [current.cert] }]]),
      leaves: [leaf],
      kubeconfigsWritten: new Set(),
    });
    assert.deepEqual(plan.writes.map((w) => [w.path.slice(dir.length), w.kind, w.mode]), [
      ["/a/pki/ca.crt", "ca-certificate", 0o644],
      ["/a/pki/kubeca-kcm-client-ca.crt", "ca-certificate", 0o644],
      ["/a/manifests/kube-controller-manager.yaml", "manifest", 0o600],
    ]);
    assert.equal(plan.writes[0]!.content, current.cert.toString() + next.cert.toString());
    assert.equal(plan.writes[1]!.content, current.cert.toString());
    assert.match(plan.writes[2]!.content, new RegExp(`--client-ca-file=${join(certDir, "kubeca-kcm-client-ca.crt")}`));
    assert.deepEqual(plan.restart, ["kube-apiserver", "kube-controller-manager"]);
    assert.equal(plan.restartKubelet, true);
  });

  it("a CA file that would strand a leaf on the node is left as it is, and said so", async () => {
    const certDir = join(dir, "b/pki");
    await mkdir(certDir, { recursive: true });
    const plan = await planTrust({
      dirs: { certDir, kubeconfigDir: join(dir, "b") },
      manifestDir: undefined,
      service: new Map([["ca", trust("idle", current.cert, [current.cert])]]),
      nodeFiles: new Map([["ca", { path: join(certDir, "ca.crt"), pem: next.cert.toString() + current.cert.toString(), certificates: [next.cert, current.cert] }]]),
      leaves: [{ file: "apiserver", issuerCa: "ca", certificate: await next.leaf("kube-apiserver") }],
      kubeconfigsWritten: new Set(),
    });
    assert.deepEqual(plan.writes, []);
    assert.equal(plan.refused.length, 1);
    assert.match(plan.refused[0]!, /ca\.crt left as it is: apiserver would no longer chain to the service's ca bundle; renew it first/);
  });

  it("the same certificates in another PEM text are no change", async () => {
    const certDir = join(dir, "c/pki");
    await mkdir(certDir, { recursive: true });
    const reflowed = current.cert.toString().replace(/\n/g, "\r\n") + "\n";
    const plan = await planTrust({
      dirs: { certDir, kubeconfigDir: join(dir, "c") },
      manifestDir: undefined,
      service: new Map([["ca", trust(undefined, current.cert, [current.cert])]]),
      nodeFiles: new Map([["ca", { path: join(certDir, "ca.crt"), pem: reflowed, certificates: [current.cert] }]]),
      leaves: [],
      kubeconfigsWritten: new Set(),
    });
    assert.deepEqual(plan.writes, []);
    assert.deepEqual(plan.restart, []);
  });
});
