// What `kubeca kubelet-signer` needs on disk, as an operator would write it: a CA certificate made
// through a KMS key (the real SDK against the local KMS server), a config naming that key, and a
// kubeconfig for the fake apiserver. Tests add their own kubeletSigner settings.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCaCertificate, encodePem } from "../../src/pki/index.js";
import { createAwsKmsSigner } from "../../src/signers/aws-kms.js";
import type { KmsServer } from "../support/kms-server.js";

/** Writes ca.crt, kubeca.yaml and kubeconfig into `dir`; returns the KMS key id. */
export async function writeKubeletSignerFiles(dir: string, kms: KmsServer, apiserverUrl: string, kubeletSignerYaml: string): Promise<string> {
  const { keyId } = await kms.createKey("ECC_NIST_P256");
  const signer = await createAwsKmsSigner({ type: "aws-kms", keyId, region: "us-east-1", endpoint: kms.url, rsaPadding: "pkcs1", timeoutMs: 3000 });
  const now = Date.now();
  const der = await createCaCertificate({ commonName: "kubernetes", signer, serial: new Uint8Array([7]), notBefore: new Date(now - 60_000), notAfter: new Date(now + 86400_000 * 365) });
  writeFileSync(join(dir, "ca.crt"), encodePem("CERTIFICATE", der));
  writeFileSync(
    join(dir, "kubeca.yaml"),
    `apiVersion: kubeca.dev/v1alpha1
kind: Config
cluster:
  etcd: { local: false }
cas:
  ca:
    certificate: { file: ca.crt }
    signer: { type: aws-kms, keyId: ${keyId}, region: us-east-1, endpoint: "${kms.url}" }
nodes:
  - { name: cp-1, role: control-plane, advertiseAddress: 10.0.0.10 }
audit: { store: file, path: audit.jsonl }
kubeletSigner:
${kubeletSignerYaml.trimEnd().split("\n").map((l) => `  ${l}`).join("\n")}
`,
  );
  writeFileSync(
    join(dir, "kubeconfig"),
    `apiVersion: v1
kind: Config
clusters: [{ name: fake, cluster: { server: "${apiserverUrl}", insecure-skip-tls-verify: true } }]
users: [{ name: kubeca, user: { token: kubeca-cli } }]
contexts: [{ name: fake, context: { cluster: fake, user: kubeca } }]
current-context: fake
`,
  );
  return keyId;
}
