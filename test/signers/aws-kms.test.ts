// The aws-kms signer through the real @aws-sdk/client-kms against the local KMS-protocol server.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { constants, createPublicKey, randomBytes, verify } from "node:crypto";
import { createAwsKmsSigner, type AwsKmsSignerConfig } from "../../src/signers/aws-kms.js";
import { isDescribable } from "../../src/signers/signer.js";
import { startKmsServer, type KmsKeySpec, type KmsServer } from "../support/kms-server.js";

const credentials = { accessKeyId: "AKIDKUBECATEST", secretAccessKey: "kubeca-test-secret" };
let kms: KmsServer;

before(async () => {
  kms = await startKmsServer();
});
after(async () => {
  await kms.close();
});

function config(keyId: string, rsaPadding: "pkcs1" | "pss" = "pkcs1"): AwsKmsSignerConfig {
  return { type: "aws-kms", keyId, region: "us-east-1", endpoint: kms.url, rsaPadding, timeoutMs: 2000 };
}

const cases: [KmsKeySpec, "pkcs1" | "pss", string, "sha256" | "sha384"][] = [
  ["ECC_NIST_P256", "pkcs1", "ecdsa-with-SHA256", "sha256"],
  ["ECC_NIST_P384", "pkcs1", "ecdsa-with-SHA384", "sha384"],
  ["RSA_2048", "pkcs1", "sha256WithRSAEncryption", "sha256"],
  ["RSA_3072", "pkcs1", "sha256WithRSAEncryption", "sha256"],
  ["RSA_4096", "pkcs1", "sha256WithRSAEncryption", "sha256"],
  ["RSA_2048", "pss", "rsassa-pss-sha256", "sha256"],
  ["RSA_3072", "pss", "rsassa-pss-sha256", "sha256"],
  ["RSA_4096", "pss", "rsassa-pss-sha256", "sha256"],
];

for (const [spec, padding, algorithm, hash] of cases) {
  test(`a ${spec} key with ${padding} padding signs TBS bytes that node:crypto verifies against the signer's public key`, async () => {
    const { keyId } = await kms.createKey(spec);
    const signer = await createAwsKmsSigner(config(keyId, padding), { credentials, maxAttempts: 1 });
    try {
      assert.equal(signer.algorithm, algorithm);
      const tbs = randomBytes(1500);
      const signature = await signer.sign(tbs);
      const key = createPublicKey({ key: Buffer.from(signer.publicKey), format: "der", type: "spki" });
      const options = padding === "pss" ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : { key };
      assert.equal(verify(hash, tbs, options, signature), true);
      // The same signature must not verify other bytes: the digest really is of tbs.
      assert.equal(verify(hash, Buffer.concat([tbs, Buffer.from([0])]), options, signature), false);
    } finally {
      signer.close();
    }
  });
}

test("an ECDSA signature comes back as DER ECDSA-Sig-Value, ready for X.509's signatureValue", async () => {
  const { keyId } = await kms.createKey("ECC_NIST_P256");
  const signer = await createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 1 });
  try {
    const signature = await signer.sign(Buffer.from("tbs"));
    assert.equal(signature[0], 0x30, "a DER SEQUENCE, not raw r||s");
    assert.equal(signature[1], signature.length - 2);
  } finally {
    signer.close();
  }
});

test("sign sends a local digest with MessageType DIGEST, even for TBS bytes beyond KMS's 4096-byte RAW limit", async () => {
  const { keyId, arn } = await kms.createKey("ECC_NIST_P384");
  const signer = await createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 1 });
  try {
    const tbs = randomBytes(10_000);
    const signature = await signer.sign(tbs);
    const key = createPublicKey({ key: Buffer.from(signer.publicKey), format: "der", type: "spki" });
    assert.equal(verify("sha384", tbs, key, signature), true);
    const signs = kms.calls.filter((c) => c.operation === "Sign" && c.keyId === arn);
    assert.deepEqual(signs, [{ operation: "Sign", keyId: arn, messageType: "DIGEST", signingAlgorithm: "ECDSA_SHA_384" }]);
  } finally {
    signer.close();
  }
});

test("the public key is read once at start: signing three times costs three Sign calls and one GetPublicKey", async () => {
  const { keyId, arn } = await kms.createKey("ECC_NIST_P256");
  const signer = await createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 1 });
  try {
    const first = signer.publicKey;
    for (let i = 0; i < 3; i++) await signer.sign(Buffer.from([i]));
    assert.equal(kms.signCount(keyId), 3);
    assert.equal(kms.calls.filter((c) => c.operation === "GetPublicKey" && c.keyId === keyId).length, 1);
    assert.equal(signer.publicKey, first);
    assert.equal(signer.keyArn, arn);
  } finally {
    signer.close();
  }
});

test("a signer configured with a bare key id signs with the key ARN KMS reported, so an alias cannot swap keys later", async () => {
  const { keyId, arn } = await kms.createKey("RSA_2048");
  const signer = await createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 1 });
  try {
    await signer.sign(Buffer.from("tbs"));
    const sign = kms.calls.filter((c) => c.operation === "Sign" && c.keyId?.endsWith(keyId));
    assert.deepEqual(sign.map((c) => c.keyId), [arn]);
  } finally {
    signer.close();
  }
});

test("describe names the key ARN, key spec and KMS signing algorithm", async () => {
  const { keyId, arn } = await kms.createKey("RSA_3072");
  const signer = await createAwsKmsSigner(config(keyId, "pss"), { credentials, maxAttempts: 1 });
  try {
    assert.ok(isDescribable(signer));
    assert.equal(signer.describe(), `aws-kms ${arn} RSA_3072 RSASSA_PSS_SHA_256`);
  } finally {
    signer.close();
  }
});

test("one throttled Sign is retried by the SDK when attempts allow, and the signature still verifies", async () => {
  const { keyId } = await kms.createKey("ECC_NIST_P256");
  const signer = await createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 2 });
  try {
    kms.fail("ThrottlingException", 1, "Sign");
    const tbs = Buffer.from("retry me");
    const signature = await signer.sign(tbs);
    const key = createPublicKey({ key: Buffer.from(signer.publicKey), format: "der", type: "spki" });
    assert.equal(verify("sha256", tbs, key, signature), true);
    assert.equal(kms.signCount(keyId), 1);
  } finally {
    signer.close();
  }
});
