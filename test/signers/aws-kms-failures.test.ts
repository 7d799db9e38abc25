// How the aws-kms signer fails, through the real SDK: transient → KUBECA_SIGNER_UNAVAILABLE with
// retryAfter; a key that cannot be used → KUBECA_SIGNER_MISCONFIGURED at start, and once running
// KUBECA_SIGNER_UNAVAILABLE (503) with the fix; every failure carries its reason from the closed set.
// SDK text stays in cause. checkKey asks the key's state without signing.
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { createAwsKmsSigner, type AwsKmsSignerConfig } from "../../src/signers/aws-kms.js";
import { KubecaError } from "../../src/errors/index.js";
import { isSignerError } from "../../src/signers/index.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";

const credentials = { accessKeyId: "AKIDKUBECATEST", secretAccessKey: "kubeca-test-secret" };
let kms: KmsServer;

before(async () => {
  kms = await startKmsServer();
});
after(async () => {
  await kms.close();
});
afterEach(() => kms.clearFaults());

function config(keyId: string, overrides: Partial<AwsKmsSignerConfig> = {}): AwsKmsSignerConfig {
  return { type: "aws-kms", keyId, region: "us-east-1", endpoint: kms.url, rsaPadding: "pkcs1", timeoutMs: 2000, ...overrides };
}

async function caught(p: Promise<unknown>): Promise<KubecaError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof KubecaError, `expected a KubecaError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a rejection");
}

function reasonOf(e: KubecaError): string {
  assert.ok(isSignerError(e), "a signer failure says why, as a SignerError");
  return e.reason;
}

/** The server's fault messages say "Injected … Rate exceeded …"; none of it may reach the operator. */
function assertNoSdkText(e: KubecaError): void {
  assert.doesNotMatch(e.detail, /Injected|Rate exceeded|arn:aws:iam|request id|is disabled\.|does not exist$/);
  assert.ok(e.cause, "the SDK error is kept as cause for the log");
}

test("a throttled Sign is KUBECA_SIGNER_UNAVAILABLE with retryAfter 1 and no SDK text in detail", async () => {
  const { keyId } = await kms.createKey("ECC_NIST_P256");
  const signer = await createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 1 });
  try {
    kms.fail("ThrottlingException", 1, "Sign");
    const e = await caught(signer.sign(Buffer.from("tbs")));
    assert.equal(e.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.equal(e.retryAfter, 1);
    assert.match(e.detail, /throttled/);
    assert.equal(reasonOf(e), "throttled");
    assertNoSdkText(e);
    assert.match(String((e.cause as Error).message), /Rate exceeded/);
  } finally {
    signer.close();
  }
});

test("throttling on every attempt stops after the bounded attempt count", async () => {
  const { keyId } = await kms.createKey("ECC_NIST_P256");
  const signer = await createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 2 });
  try {
    const before = kms.calls.length;
    // Exactly as many faults as attempts: a third attempt would succeed, so an unbounded retry would pass.
    kms.fail("ThrottlingException", 2, "Sign");
    const e = await caught(signer.sign(Buffer.from("tbs")));
    assert.equal(e.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.equal(kms.calls.length - before, 2);
    assert.equal(kms.signCount(keyId), 0);
  } finally {
    signer.close();
  }
});

test("a KMS internal error on Sign is KUBECA_SIGNER_UNAVAILABLE with retryAfter", async () => {
  const { keyId } = await kms.createKey("RSA_2048");
  const signer = await createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 1 });
  try {
    kms.fail("KMSInternalException", 1, "Sign");
    const e = await caught(signer.sign(Buffer.from("tbs")));
    assert.equal(e.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.equal(e.retryAfter, 1);
    assert.match(e.detail, /failed internally/);
    assertNoSdkText(e);
  } finally {
    signer.close();
  }
});

test("a Sign that hangs is KUBECA_SIGNER_UNAVAILABLE within the configured timeout, retries included", async () => {
  const { keyId } = await kms.createKey("ECC_NIST_P256");
  const signer = await createAwsKmsSigner(config(keyId, { timeoutMs: 300 }), { credentials, maxAttempts: 3 });
  try {
    kms.fail("hang", 3, "Sign");
    const started = performance.now();
    const e = await caught(signer.sign(Buffer.from("tbs")));
    const elapsed = performance.now() - started;
    assert.equal(e.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.equal(e.retryAfter, 2);
    // The hang lasts until the server closes: ending well before that proves the deadline; the upper
    // bound is loose so a loaded CI machine cannot make it flaky (timing is for benchmarks).
    assert.ok(elapsed >= 290 && elapsed < 3000, `gave up after ${elapsed.toFixed(0)} ms`);
    assert.match(e.detail, /did not answer Sign/);
  } finally {
    signer.close();
  }
});

test("a GetPublicKey that hangs at start is KUBECA_SIGNER_UNAVAILABLE within the timeout", async () => {
  const { keyId } = await kms.createKey("ECC_NIST_P256");
  kms.fail("hang", 1, "GetPublicKey");
  const started = performance.now();
  const e = await caught(createAwsKmsSigner(config(keyId, { timeoutMs: 300 }), { credentials, maxAttempts: 1 }));
  assert.equal(e.code, "KUBECA_SIGNER_UNAVAILABLE");
  assert.ok(performance.now() - started < 3000);
});

test("a KMS endpoint that refuses connections is KUBECA_SIGNER_UNAVAILABLE, not misconfigured", async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  const { port } = closed.address() as { port: number };
  await new Promise<void>((r) => closed.close(() => r()));
  const e = await caught(createAwsKmsSigner(config("any-key", { endpoint: `http://127.0.0.1:${port}` }), { credentials, maxAttempts: 1 }));
  assert.equal(e.code, "KUBECA_SIGNER_UNAVAILABLE");
  assert.equal(e.retryAfter, 2);
});

test("a key disabled before start fails at start with KUBECA_SIGNER_MISCONFIGURED naming the key", async () => {
  const { keyId } = await kms.createKey("ECC_NIST_P256");
  kms.disableKey(keyId);
  const e = await caught(createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 1 }));
  assert.equal(e.code, "KUBECA_SIGNER_MISCONFIGURED");
  assert.match(e.detail, new RegExp(`KMS key ${keyId} is disabled`));
  assertNoSdkText(e);
});

test("a key disabled after start fails Sign with 503 KUBECA_SIGNER_UNAVAILABLE naming the key and the fix, without retrying", async () => {
  const { keyId, arn } = await kms.createKey("RSA_2048");
  const signer = await createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 3 });
  try {
    kms.disableKey(keyId);
    const before = kms.calls.length;
    const e = await caught(signer.sign(Buffer.from("tbs")));
    assert.equal(e.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.equal(e.retryAfter, 30);
    assert.equal(reasonOf(e), "key-disabled");
    assert.equal(e.detail, `KMS key ${arn} is disabled; enable it (aws kms enable-key) or point the CA at an enabled key; nothing is signed with it until then (Sign refused)`);
    assert.equal(kms.calls.length - before, 1);
    kms.enableKey(keyId);
    assert.equal((await signer.sign(Buffer.from("tbs"))).length, 256, "signs again once the key is enabled");
  } finally {
    signer.close();
  }
});

test("a key id that does not exist fails at start with KUBECA_SIGNER_MISCONFIGURED naming the key", async () => {
  const missing = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000";
  const e = await caught(createAwsKmsSigner(config(missing), { credentials, maxAttempts: 1 }));
  assert.equal(e.code, "KUBECA_SIGNER_MISCONFIGURED");
  assert.equal(e.detail, `KMS key ${missing} does not exist in this account and region; check keyId and region`);
});

test("a key deleted after start fails Sign with 503, reason key-not-found", async () => {
  const { keyId } = await kms.createKey("ECC_NIST_P256");
  const signer = await createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 1 });
  try {
    kms.deleteKey(keyId);
    const e = await caught(signer.sign(Buffer.from("tbs")));
    assert.equal(e.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.equal(reasonOf(e), "key-not-found");
    assert.match(e.detail, /does not exist/);
  } finally {
    signer.close();
  }
});

test("access denied on Sign once running is 503, reason access-denied, telling which permission to grant", async () => {
  const { keyId } = await kms.createKey("ECC_NIST_P256");
  const signer = await createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 1 });
  try {
    kms.fail("AccessDeniedException", 1, "Sign");
    const e = await caught(signer.sign(Buffer.from("tbs")));
    assert.equal(e.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.equal(reasonOf(e), "access-denied");
    assert.match(e.detail, /kms:Sign/);
    assertNoSdkText(e);
  } finally {
    signer.close();
  }
});

test("checkKey says whether the key can sign, with the reason and the fix, and never signs", async () => {
  const { keyId, arn } = await kms.createKey("ECC_NIST_P256");
  const signer = await createAwsKmsSigner(config(keyId, { timeoutMs: 500 }), { credentials, maxAttempts: 1 });
  const signs = () => kms.calls.filter((c) => c.operation === "Sign").length;
  const signsBefore = signs();
  try {
    assert.deepEqual(await signer.checkKey(), { usable: true });
    kms.disableKey(keyId);
    assert.deepEqual(await signer.checkKey(), {
      usable: false,
      reason: "key-disabled",
      detail: `KMS key ${arn} is disabled; enable it (aws kms enable-key) or point the CA at an enabled key; nothing is signed with it until then (GetPublicKey refused)`,
    });
    kms.enableKey(keyId);
    kms.fail("hang", 1, "GetPublicKey");
    assert.equal(((await signer.checkKey()) as { reason?: string }).reason, "timed-out");
    kms.fail("ThrottlingException", 1, "GetPublicKey");
    assert.equal(((await signer.checkKey()) as { reason?: string }).reason, "throttled");
    kms.deleteKey(keyId);
    assert.equal(((await signer.checkKey()) as { reason?: string }).reason, "key-not-found");
    assert.equal(signs(), signsBefore, "no signature was made to ask");
  } finally {
    signer.close();
  }
});

test("an encryption key is refused at start: its usage is not SIGN_VERIFY", async () => {
  const { keyId } = await kms.createKey("RSA_2048", "ENCRYPT_DECRYPT");
  const e = await caught(createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 1 }));
  assert.equal(e.code, "KUBECA_SIGNER_MISCONFIGURED");
  assert.match(e.detail, new RegExp(`KMS key ${keyId}: key usage is ENCRYPT_DECRYPT`));
});

test("a P-521 key is refused at start with the supported key specs", async () => {
  const { keyId } = await kms.createKey("ECC_NIST_P521");
  const e = await caught(createAwsKmsSigner(config(keyId), { credentials, maxAttempts: 1 }));
  assert.equal(e.code, "KUBECA_SIGNER_MISCONFIGURED");
  assert.match(e.detail, /key spec ECC_NIST_P521 .*ECC_NIST_P256, ECC_NIST_P384, RSA_2048, RSA_3072, RSA_4096/);
});

test("rsaPadding pss on an EC key is refused at start", async () => {
  const { keyId } = await kms.createKey("ECC_NIST_P384");
  const e = await caught(createAwsKmsSigner(config(keyId, { rsaPadding: "pss" }), { credentials, maxAttempts: 1 }));
  assert.equal(e.code, "KUBECA_SIGNER_MISCONFIGURED");
  assert.match(e.detail, /rsaPadding pss applies to RSA keys only/);
});

test("a slow KMS within the timeout only slows signing; slower than the timeout is KUBECA_SIGNER_UNAVAILABLE, reason timed-out", async () => {
  const { keyId } = await kms.createKey("ECC_NIST_P256");
  // Two signers of one key: a timeout far above the latency, and one far below it, so load on the
  // machine cannot move either case across its timeout.
  const patient = await createAwsKmsSigner(config(keyId, { timeoutMs: 10_000 }), { credentials, maxAttempts: 1 });
  const hasty = await createAwsKmsSigner(config(keyId, { timeoutMs: 300 }), { credentials, maxAttempts: 1 });
  try {
    kms.setLatency(150);
    assert.equal((await patient.sign(Buffer.from("tbs")))[0], 0x30);
    kms.setLatency(5000);
    const e = await caught(hasty.sign(Buffer.from("tbs")));
    assert.equal(e.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.equal(reasonOf(e), "timed-out");
  } finally {
    kms.setLatency(0);
    patient.close();
    hasty.close();
  }
});
