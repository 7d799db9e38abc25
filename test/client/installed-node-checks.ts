// What "installed correctly" means, checked with tools independent of the client: openssl verify for
// every chain and purpose, @kubernetes/client-node for every kubeconfig, node:crypto for key matches.
import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { opensslVerify } from "../support/openssl.js";
import { SPEC_FILES, type CaName, type SpecFile } from "../support/kubeadm-layout.js";
import { modeOf, type TempNode } from "./node-fixture.js";

const CA_FILE: Record<CaName, string> = { ca: "ca.crt", "etcd-ca": "etcd/ca.crt", "front-proxy-ca": "front-proxy-ca.crt" };

export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function verifyWithOpenssl(spec: SpecFile, caPem: string, certPem: string): Promise<void> {
  for (const eku of spec.eku) {
    const purpose = eku === "serverAuth" ? "sslserver" : "sslclient";
    const r = await opensslVerify({ caPem, certPem, purpose });
    assert.equal(r.code, 0, `${spec.name}: openssl verify -purpose ${purpose} failed: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /: OK/);
  }
}

export interface InstalledFile {
  readonly spec: SpecFile;
  readonly certificate: X509Certificate;
  /** The private key the certificate is for, as found on the node. */
  readonly keyPem: string;
}

/** Checks one installed file completely and returns what it found. */
export async function checkInstalled(node: TempNode, name: string, serviceCaPem: Readonly<Record<CaName, string>>): Promise<InstalledFile> {
  const spec = SPEC_FILES.find((s) => s.name === name)!;
  const caPath = join(node.certDir, CA_FILE[spec.issuer]);
  const caPem = await readFile(caPath, "utf8");
  assert.equal(new X509Certificate(caPem).fingerprint256, new X509Certificate(serviceCaPem[spec.issuer]).fingerprint256, `${caPath} is the service's ${spec.issuer}`);
  assert.equal(await modeOf(caPath), 0o644, `${caPath} mode`);
  assert.equal(await exists(caPath.replace(/\.crt$/, ".key")), false, `no CA key next to ${caPath}`);

  let certPem: string;
  let keyPem: string;
  if (spec.kind === "pki") {
    const crt = join(node.certDir, `${spec.name}.crt`);
    const key = join(node.certDir, `${spec.name}.key`);
    certPem = await readFile(crt, "utf8");
    keyPem = await readFile(key, "utf8");
    assert.equal(await modeOf(crt), 0o644, `${crt} mode`);
    assert.equal(await modeOf(key), 0o600, `${key} mode`);
  } else {
    const path = join(node.kubeconfigDir, spec.name);
    assert.equal(await modeOf(path), 0o600, `${path} mode`);
    const kc = new KubeConfig();
    kc.loadFromString(await readFile(path, "utf8"));
    const user = kc.getCurrentUser();
    const cluster = kc.getCurrentCluster();
    assert.ok(user?.certData && user.keyData, `${spec.name}: user has client-certificate-data and client-key-data`);
    assert.ok(cluster?.caData, `${spec.name}: cluster has certificate-authority-data`);
    assert.equal(Buffer.from(cluster.caData, "base64").toString(), caPem, `${spec.name}: certificate-authority-data is ca.crt`);
    assert.equal(cluster.server, spec.server, `${spec.name}: server kept`);
    assert.equal(user.name, spec.cn, `${spec.name}: user name kept`);
    certPem = Buffer.from(user.certData, "base64").toString();
    keyPem = Buffer.from(user.keyData, "base64").toString();
  }
  const certificate = new X509Certificate(certPem);
  assert.ok(certificate.checkPrivateKey(createPrivateKey(keyPem)), `${spec.name}: certificate is for the key next to it`);
  assert.match(certificate.subject, new RegExp(`CN=${spec.cn.replace(/[.]/g, "\\.")}$`, "m"), `${spec.name}: CN`);
  assert.equal(certificate.ca, false);
  await verifyWithOpenssl(spec, caPem, certPem);
  return { spec, certificate, keyPem };
}
