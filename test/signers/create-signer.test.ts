// createSigner turns each SignerConfig type into its signer.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { createSigner } from "../../src/signers/create-signer.js";
import { isDescribable } from "../../src/signers/signer.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";

let kms: KmsServer;
before(async () => {
  kms = await startKmsServer();
});
after(async () => {
  await kms.close();
});

test("a memory config gives an in-process signer of the configured algorithm", async () => {
  const signer = await createSigner({ type: "memory", algorithm: "ECDSA-P384" });
  assert.equal(signer.algorithm, "ecdsa-with-SHA384");
  assert.ok(isDescribable(signer) && signer.describe().startsWith("memory ECDSA-P384"));
});

test("an aws-kms config gives a signer backed by the KMS key, whose signatures verify", async () => {
  const { keyId, arn } = await kms.createKey("RSA_2048");
  const signer = await createSigner(
    { type: "aws-kms", keyId, region: "us-east-1", endpoint: kms.url, rsaPadding: "pkcs1", timeoutMs: 2000 },
    { credentials: { accessKeyId: "AKIDKUBECATEST", secretAccessKey: "kubeca-test-secret" }, maxAttempts: 1 },
  );
  // No close(): it is not on Signer, and the server's close() ends the client's keep-alive sockets.
  assert.equal(signer.algorithm, "sha256WithRSAEncryption");
  assert.ok(isDescribable(signer) && signer.describe().includes(arn));
  const signature = await signer.sign(Buffer.from("tbs"));
  const key = createPublicKey({ key: Buffer.from(signer.publicKey), format: "der", type: "spki" });
  assert.equal(verify("sha256", Buffer.from("tbs"), key, signature), true);
  assert.equal(kms.signCount(keyId), 1);
});
