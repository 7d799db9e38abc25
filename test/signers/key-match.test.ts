// Start-up refuses a signer whose key is not the CA certificate's key, naming both fingerprints.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createPublicKey, ECDH, generateKeyPairSync, type KeyObject } from "node:crypto";
import { assertSignerMatchesCertificate, spkiFingerprint } from "../../src/signers/key-match.js";
import { createMemorySigner } from "../../src/signers/memory.js";
import { KubecaError } from "../../src/errors/index.js";

const FINGERPRINT = /^SHA256(:[0-9a-f]{2}){32}$/;

function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: "der", type: "spki" }));
}

/** The same P-256 key with its point compressed: a different but equivalent SPKI encoding. */
function compressedSpki(spki: Uint8Array): Uint8Array {
  const jwk = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }).export({ format: "jwk" });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
  const compressed = ECDH.convertKey(point, "prime256v1", undefined, undefined, "compressed") as Buffer;
  // AlgorithmIdentifier { id-ecPublicKey, prime256v1 } followed by a 33-byte BIT STRING.
  const head = Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex");
  return new Uint8Array(Buffer.concat([head, compressed]));
}

test("a signer holding the certificate's key passes", () => {
  const signer = createMemorySigner("ECDSA-P256");
  assert.doesNotThrow(() => assertSignerMatchesCertificate("ca", signer, signer.publicKey));
});

test("an equivalent encoding of the same key (compressed EC point) matches and has the same fingerprint", () => {
  const signer = createMemorySigner("ECDSA-P256");
  const compressed = compressedSpki(signer.publicKey);
  assert.notDeepEqual(compressed, signer.publicKey);
  assert.doesNotThrow(() => assertSignerMatchesCertificate("ca", signer, compressed));
  assert.equal(spkiFingerprint(compressed), spkiFingerprint(signer.publicKey));
});

test("a signer with another key is KUBECA_SIGNER_KEY_MISMATCH naming the CA and both fingerprints", () => {
  const signer = createMemorySigner("ECDSA-P256");
  const other = spkiOf(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey);
  assert.throws(
    () => assertSignerMatchesCertificate("etcd-ca", signer, other),
    (e: unknown) => {
      assert.ok(e instanceof KubecaError);
      assert.equal(e.code, "KUBECA_SIGNER_KEY_MISMATCH");
      assert.equal(
        e.detail,
        `CA etcd-ca: the signer's key (${spkiFingerprint(signer.publicKey)}) is not the key in the CA certificate (${spkiFingerprint(other)})`,
      );
      return true;
    },
  );
});

test("a signer with a key of another type (RSA signer, EC certificate) is a mismatch", () => {
  const signer = createMemorySigner("RSA-2048");
  const ec = spkiOf(generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey);
  assert.throws(() => assertSignerMatchesCertificate("front-proxy-ca", signer, ec), (e: unknown) => e instanceof KubecaError && e.code === "KUBECA_SIGNER_KEY_MISMATCH");
});

test("a certificate key that cannot be read is KUBECA_CA_INVALID naming the CA", () => {
  const signer = createMemorySigner("ECDSA-P256");
  assert.throws(
    () => assertSignerMatchesCertificate("ca", signer, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])),
    (e: unknown) => e instanceof KubecaError && e.code === "KUBECA_CA_INVALID" && /CA ca/.test(e.detail),
  );
});

test("spkiFingerprint is SHA256: and 32 lowercase hex pairs of the canonical SPKI DER", () => {
  const spki = spkiOf(generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey);
  const fingerprint = spkiFingerprint(spki);
  assert.match(fingerprint, FINGERPRINT);
  const hex = createHash("sha256").update(spki).digest("hex");
  assert.equal(fingerprint.slice("SHA256:".length).replaceAll(":", ""), hex);
});

test("spkiFingerprint of unreadable bytes hashes them as given", () => {
  const bytes = new Uint8Array([1, 2, 3]);
  assert.equal(spkiFingerprint(bytes).replaceAll(":", "").slice("SHA256".length), createHash("sha256").update(bytes).digest("hex"));
});
