// A CA whose key is a new P-256 key in the local KMS-protocol server, for tests that run a built
// artifact (the Lambda bundles, the image's CLI) against it: the certificate, written where the
// config expects it, and the config's `cas:` lines naming it.
import { X509Certificate } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCaCertificate, randomSerial } from "../../src/pki/index.js";
import { createSigner } from "../../src/signers/index.js";
import type { KmsServer } from "./kms-server.js";

/** The credentials the local KMS server accepts (it checks SigV4, not who signs). */
export const TEST_AWS_CREDENTIALS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };

/** Makes the CA and writes its certificate to `<configDir>/pki/ca.crt`. */
export async function writeKmsCa(kms: KmsServer, configDir: string, validForMs = 365 * 86_400_000): Promise<{ keyArn: string; pem: string; configLines: string[] }> {
  const keyArn = (await kms.createKey("ECC_NIST_P256")).arn;
  const signer = await createSigner({ type: "aws-kms", keyId: keyArn, region: "us-east-1", endpoint: kms.url, rsaPadding: "pkcs1", timeoutMs: 3000 }, { credentials: TEST_AWS_CREDENTIALS });
  const now = Date.now();
  const der = await createCaCertificate({ commonName: "kubernetes", signer, serial: randomSerial(), notBefore: new Date(now - 60_000), notAfter: new Date(now + validForMs) });
  const pem = new X509Certificate(der).toString();
  mkdirSync(join(configDir, "pki"), { recursive: true });
  writeFileSync(join(configDir, "pki", "ca.crt"), pem);
  const configLines = ["cas:", "  ca:", "    certificate: { file: pki/ca.crt }", `    signer: { type: aws-kms, keyId: "${keyArn}", region: us-east-1, endpoint: "${kms.url}" }`];
  return { keyArn, pem, configLines };
}
