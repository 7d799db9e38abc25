// Keys: only the algorithms in keys.allowed (kubeadm's encryptionAlgorithm names), RSA never below 2048 bits.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeKey, keyAlgorithmName } from "../../src/policy/index.js";
import { ec, ed25519, key, rsa } from "./parsed-csr.js";
import { assertAllowed, controlPlane, decide, keysAllowed, messages, refusals, section6Csr, testConfig, version } from "./fixtures.js";

const config = testConfig();
const ALL = "RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384";

describe("key algorithms", () => {
  for (const k of [rsa(2048), rsa(3072), rsa(4096), ec("P-256"), ec("P-384")]) {
    it(`${describeKey(k)} is signed with the default keys.allowed`, () => {
      assertAllowed(decide(config, controlPlane(), "apiserver", section6Csr("apiserver", key(k))));
    });
  }
  it("RSA-1024 is refused as too weak", () => {
    const d = decide(config, controlPlane(), "apiserver", section6Csr("apiserver", key(rsa(1024))));
    assert.deepEqual(refusals(d), ["key-too-weak key"]);
    assert.deepEqual(messages(d), [`RSA-1024 is too weak: RSA keys need at least 2048 bits (allowed: ${ALL})`]);
  });
  it("an algorithm removed from keys.allowed is refused", () => {
    const d = decide(testConfig(keysAllowed("ECDSA-P256", "ECDSA-P384")), controlPlane(), "apiserver");
    assert.deepEqual(refusals(d), ["key-algorithm-not-allowed key"]);
    assert.deepEqual(messages(d), ["key algorithm RSA-2048 is not allowed by keys.allowed (allowed: ECDSA-P256, ECDSA-P384)"]);
  });
  it("Ed25519, P-521 and an RSA size kubeadm never makes are refused", () => {
    for (const k of [ed25519, ec("P-521"), rsa(2560), { type: "unknown", oid: "1.2.3.4" } as const]) {
      assert.deepEqual(refusals(decide(config, controlPlane(), "apiserver", section6Csr("apiserver", key(k)))), ["key-algorithm-not-allowed key"], describeKey(k));
    }
  });
  it("on 1.29–1.30 a refused RSA-2048 kubeconfig key says kubeadm made it so", () => {
    const d = decide(testConfig(version("1.30"), keysAllowed("ECDSA-P256")), controlPlane(), "admin.conf");
    assert.match(messages(d)[0] ?? "", /; kubeadm 1\.29–1\.30 always makes RSA-2048 keys for kubeconfig files, whatever encryptionAlgorithm says$/);
    const d31 = decide(testConfig(keysAllowed("ECDSA-P256")), controlPlane(), "admin.conf");
    assert.deepEqual(messages(d31), ["key algorithm RSA-2048 is not allowed by keys.allowed (allowed: ECDSA-P256)"]);
  });
  it("maps keys to kubeadm's names", () => {
    assert.equal(keyAlgorithmName(ec("P-384")), "ECDSA-P384");
    assert.equal(keyAlgorithmName(rsa(3072)), "RSA-3072");
    assert.equal(keyAlgorithmName(ec("P-521")), undefined);
    assert.equal(describeKey({ type: "unknown", oid: "1.3.101.113" }), "unknown key type (OID 1.3.101.113)");
  });
});
