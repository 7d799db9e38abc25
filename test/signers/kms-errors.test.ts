// The one mapping from KMS / SDK failures to KubecaErrors, checked name by name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { kmsError } from "../../src/signers/kms-errors.js";
import { KubecaError } from "../../src/errors/index.js";
import type { SignerError } from "../../src/signers/index.js";

const KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SDK_TEXT = "User: arn:aws:iam::999999999999:role/secret-role is not authorized (sdk text)";

function sdkError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(SDK_TEXT), { name, $metadata: { httpStatusCode: 400 }, ...extra });
}

const unavailable: [string, Error, number, string][] = [
  ["ThrottlingException", sdkError("ThrottlingException"), 1, "throttled"],
  ["LimitExceededException", sdkError("LimitExceededException"), 1, "throttled"],
  ["KMSInternalException", sdkError("KMSInternalException", { $fault: "server" }), 1, "service-error"],
  ["DependencyTimeoutException", sdkError("DependencyTimeoutException", { $fault: "server" }), 2, "timed-out"],
  ["KeyUnavailableException", sdkError("KeyUnavailableException", { $fault: "server" }), 5, "service-error"],
  ["the SDK's TimeoutError", sdkError("TimeoutError"), 2, "timed-out"],
  ["an AbortError", sdkError("AbortError"), 2, "timed-out"],
  ["ECONNREFUSED", Object.assign(new Error(SDK_TEXT), { code: "ECONNREFUSED" }), 2, "network"],
  ["ECONNRESET", Object.assign(new Error(SDK_TEXT), { code: "ECONNRESET" }), 2, "network"],
  ["an unknown server fault", sdkError("SomethingNewException", { $fault: "server" }), 2, "service-error"],
  ["an unknown HTTP 503", sdkError("Weird", { $metadata: { httpStatusCode: 503 } }), 2, "service-error"],
];

for (const [what, err, retryAfter, reason] of unavailable) {
  test(`${what} is KUBECA_SIGNER_UNAVAILABLE with retryAfter ${retryAfter} and reason ${reason}, the SDK text only in cause`, () => {
    const e = kmsError(err, KEY, "Sign");
    assert.equal(e.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.equal((e as SignerError).reason, reason);
    assert.equal(e.retryAfter, retryAfter);
    assert.ok(e.detail.includes(KEY));
    assert.ok(!e.detail.includes("sdk text") && !e.detail.includes("secret-role"));
    assert.equal(e.cause, err);
  });
}

// The key cannot be used: a configuration to fix when the service starts, an unavailable dependency
// (503, retry in 30 s, the fix in the detail) once it runs.
const keyState: [string, string, string][] = [
  ["DisabledException", "is disabled", "key-disabled"],
  ["NotFoundException", "does not exist", "key-not-found"],
  ["KMSInvalidStateException", "not in a usable state", "key-invalid-state"],
  ["AccessDeniedException", "kms:Sign", "access-denied"],
  ["UnrecognizedClientException", "check the AWS credentials", "access-denied"],
  ["CredentialsProviderError", "no AWS credentials", "access-denied"],
];

for (const [name, phrase, reason] of keyState) {
  test(`${name} at start is KUBECA_SIGNER_MISCONFIGURED, and on Sign is 503 KUBECA_SIGNER_UNAVAILABLE, both with reason ${reason}`, () => {
    const err = sdkError(name, { $fault: "client" });
    const atStart = kmsError(err, KEY, "GetPublicKey");
    assert.equal(atStart.code, "KUBECA_SIGNER_MISCONFIGURED");
    assert.equal(atStart.retryAfter, undefined);
    assert.equal((atStart as SignerError).reason, reason);
    const running = kmsError(err, KEY, "Sign");
    assert.equal(running.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.equal(running.retryAfter, 30);
    assert.equal((running as SignerError).reason, reason);
    for (const e of [atStart, running]) {
      assert.ok(e.detail.includes(`key ${KEY}`), e.detail);
      assert.ok(e.detail.includes(phrase), e.detail);
      assert.ok(!e.detail.includes("sdk text") && !e.detail.includes("secret-role"));
      assert.equal(e.cause, err);
    }
  });
}

const misconfigured: [string, string][] = [
  ["InvalidKeyUsageException", "SIGN_VERIFY"],
  ["IncorrectKeyException", "not the key expected"],
  ["SomeFutureClientException", "(SomeFutureClientException)"],
];

for (const [name, phrase] of misconfigured) {
  test(`${name} is KUBECA_SIGNER_MISCONFIGURED naming the key, without retryAfter or SDK text`, () => {
    const err = sdkError(name, { $fault: "client" });
    const e = kmsError(err, KEY, "Sign");
    assert.equal(e.code, "KUBECA_SIGNER_MISCONFIGURED");
    assert.equal((e as SignerError).reason, "misconfigured");
    assert.equal(e.retryAfter, undefined);
    assert.ok(e.detail.includes(`key ${KEY}`), e.detail);
    assert.ok(e.detail.includes(phrase), e.detail);
    assert.ok(!e.detail.includes("sdk text") && !e.detail.includes("secret-role"));
    assert.equal(e.cause, err);
  });
}

test("a KubecaError passes through unchanged", () => {
  const original = new KubecaError("KUBECA_SIGNER_MISCONFIGURED", "already mapped");
  assert.equal(kmsError(original, KEY, "Sign"), original);
});

test("a thrown non-Error value is misconfigured and never shown", () => {
  const e = kmsError("sdk text as a string", KEY, "GetPublicKey");
  assert.equal(e.code, "KUBECA_SIGNER_MISCONFIGURED");
  assert.ok(!e.detail.includes("sdk text"));
  assert.match(e.detail, /GetPublicKey/);
});

test("the SDK's missing-region error is misconfigured and says to set a region", () => {
  const e = kmsError(new Error("Region is missing"), KEY, "GetPublicKey");
  assert.equal(e.code, "KUBECA_SIGNER_MISCONFIGURED");
  assert.match(e.detail, /no AWS region is set; set region in the signer config or AWS_REGION/);
});
