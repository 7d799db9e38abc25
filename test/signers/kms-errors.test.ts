// The one mapping from KMS / SDK failures to KubecaErrors, checked name by name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { kmsError } from "../../src/signers/kms-errors.js";
import { KubecaError } from "../../src/errors/index.js";

const KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const SDK_TEXT = "User: arn:aws:iam::999999999999:role/secret-role is not authorized (sdk text)";

function sdkError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(SDK_TEXT), { name, $metadata: { httpStatusCode: 400 }, ...extra });
}

const unavailable: [string, Error, number][] = [
  ["ThrottlingException", sdkError("ThrottlingException"), 1],
  ["LimitExceededException", sdkError("LimitExceededException"), 1],
  ["KMSInternalException", sdkError("KMSInternalException", { $fault: "server" }), 1],
  ["DependencyTimeoutException", sdkError("DependencyTimeoutException", { $fault: "server" }), 2],
  ["KeyUnavailableException", sdkError("KeyUnavailableException", { $fault: "server" }), 5],
  ["the SDK's TimeoutError", sdkError("TimeoutError"), 2],
  ["an AbortError", sdkError("AbortError"), 2],
  ["ECONNREFUSED", Object.assign(new Error(SDK_TEXT), { code: "ECONNREFUSED" }), 2],
  ["ECONNRESET", Object.assign(new Error(SDK_TEXT), { code: "ECONNRESET" }), 2],
  ["an unknown server fault", sdkError("SomethingNewException", { $fault: "server" }), 2],
  ["an unknown HTTP 503", sdkError("Weird", { $metadata: { httpStatusCode: 503 } }), 2],
];

for (const [what, err, retryAfter] of unavailable) {
  test(`${what} is KUBECA_SIGNER_UNAVAILABLE with retryAfter ${retryAfter}, the SDK text only in cause`, () => {
    const e = kmsError(err, KEY, "Sign");
    assert.equal(e.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.equal(e.retryAfter, retryAfter);
    assert.ok(e.detail.includes(KEY));
    assert.ok(!e.detail.includes("sdk text") && !e.detail.includes("secret-role"));
    assert.equal(e.cause, err);
  });
}

const misconfigured: [string, string][] = [
  ["DisabledException", "is disabled"],
  ["NotFoundException", "does not exist"],
  ["KMSInvalidStateException", "not in a usable state"],
  ["InvalidKeyUsageException", "SIGN_VERIFY"],
  ["AccessDeniedException", "kms:Sign"],
  ["IncorrectKeyException", "not the key expected"],
  ["UnrecognizedClientException", "check the AWS credentials"],
  ["CredentialsProviderError", "no AWS credentials"],
  ["SomeFutureClientException", "(SomeFutureClientException)"],
];

for (const [name, phrase] of misconfigured) {
  test(`${name} is KUBECA_SIGNER_MISCONFIGURED naming the key, without retryAfter or SDK text`, () => {
    const err = sdkError(name, { $fault: "client" });
    const e = kmsError(err, KEY, "Sign");
    assert.equal(e.code, "KUBECA_SIGNER_MISCONFIGURED");
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
