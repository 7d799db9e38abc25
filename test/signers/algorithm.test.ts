import { test } from "node:test";
import assert from "node:assert/strict";
import { chooseSigningAlgorithm, type KmsKeyFacts } from "../../src/signers/algorithm.js";
import { KubecaError } from "../../src/errors/index.js";

const accepted: [KmsKeyFacts, string, string, string, string][] = [
  [{ keySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "ecdsa-with-SHA256", "ECDSA_SHA_256", "CKM_ECDSA", "sha256"],
  [{ keySpec: "ECC_NIST_P384", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "ecdsa-with-SHA384", "ECDSA_SHA_384", "CKM_ECDSA", "sha384"],
  [{ keySpec: "RSA_2048", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "sha256WithRSAEncryption", "RSASSA_PKCS1_V1_5_SHA_256", "CKM_RSA_PKCS", "sha256"],
  [{ keySpec: "RSA_3072", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "sha256WithRSAEncryption", "RSASSA_PKCS1_V1_5_SHA_256", "CKM_RSA_PKCS", "sha256"],
  [{ keySpec: "RSA_4096", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "sha256WithRSAEncryption", "RSASSA_PKCS1_V1_5_SHA_256", "CKM_RSA_PKCS", "sha256"],
  [{ keySpec: "RSA_2048", keyUsage: "SIGN_VERIFY", rsaPadding: "pss" }, "rsassa-pss-sha256", "RSASSA_PSS_SHA_256", "CKM_RSA_PKCS_PSS", "sha256"],
  [{ keySpec: "RSA_3072", keyUsage: "SIGN_VERIFY", rsaPadding: "pss" }, "rsassa-pss-sha256", "RSASSA_PSS_SHA_256", "CKM_RSA_PKCS_PSS", "sha256"],
  [{ keySpec: "RSA_4096", keyUsage: "SIGN_VERIFY", rsaPadding: "pss" }, "rsassa-pss-sha256", "RSASSA_PSS_SHA_256", "CKM_RSA_PKCS_PSS", "sha256"],
];

for (const [facts, signatureAlgorithm, kmsAlgorithm, pkcs11Mechanism, hash] of accepted) {
  test(`a ${facts.keySpec} key with ${facts.rsaPadding} padding signs ${kmsAlgorithm} (PKCS#11 ${pkcs11Mechanism}) over a local ${hash} digest`, () => {
    assert.deepEqual(chooseSigningAlgorithm(facts), { signatureAlgorithm, kmsAlgorithm, pkcs11Mechanism, hash });
  });
}

// [key facts, a phrase the operator-facing detail must contain]
const refused: [KmsKeyFacts, string][] = [
  [{ keySpec: "ECC_NIST_P521", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "key spec ECC_NIST_P521"],
  [{ keySpec: "ECC_SECG_P256K1", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "key spec ECC_SECG_P256K1"],
  [{ keySpec: "ECC_NIST_EDWARDS25519", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "key spec ECC_NIST_EDWARDS25519"],
  [{ keySpec: "SM2", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "key spec SM2"],
  [{ keySpec: "ML_DSA_44", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "key spec ML_DSA_44"],
  [{ keySpec: "ML_DSA_65", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "key spec ML_DSA_65"],
  [{ keySpec: "ML_DSA_87", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "key spec ML_DSA_87"],
  [{ keySpec: undefined, keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "key spec unknown"],
  [{ keySpec: "HMAC_256", keyUsage: "GENERATE_VERIFY_MAC", rsaPadding: "pkcs1" }, "key usage is GENERATE_VERIFY_MAC"],
  [{ keySpec: "HMAC_256", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }, "key spec HMAC_256"],
  [{ keySpec: "SYMMETRIC_DEFAULT", keyUsage: "ENCRYPT_DECRYPT", rsaPadding: "pkcs1" }, "key usage is ENCRYPT_DECRYPT"],
  [{ keySpec: "RSA_2048", keyUsage: "ENCRYPT_DECRYPT", rsaPadding: "pkcs1" }, "key usage is ENCRYPT_DECRYPT"],
  [{ keySpec: "ECC_NIST_P256", keyUsage: "KEY_AGREEMENT", rsaPadding: "pkcs1" }, "key usage is KEY_AGREEMENT"],
  [{ keySpec: "RSA_4096", keyUsage: undefined, rsaPadding: "pkcs1" }, "key usage is unknown"],
  [{ keySpec: "ECC_NIST_P256", keyUsage: "SIGN_VERIFY", rsaPadding: "pss" }, "rsaPadding pss applies to RSA keys only"],
  [{ keySpec: "ECC_NIST_P384", keyUsage: "SIGN_VERIFY", rsaPadding: "pss" }, "rsaPadding pss applies to RSA keys only"],
];

for (const [facts, phrase] of refused) {
  test(`a ${facts.keySpec ?? "spec-less"} key with usage ${facts.keyUsage ?? "none"} and ${facts.rsaPadding} padding is refused as misconfigured`, () => {
    assert.throws(
      () => chooseSigningAlgorithm(facts),
      (e: unknown) => {
        assert.ok(e instanceof KubecaError);
        assert.equal(e.code, "KUBECA_SIGNER_MISCONFIGURED");
        assert.match(e.detail, new RegExp(phrase.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
        return true;
      },
    );
  });
}

test("a refused key spec's detail lists every supported key spec", () => {
  assert.throws(
    () => chooseSigningAlgorithm({ keySpec: "ECC_NIST_P521", keyUsage: "SIGN_VERIFY", rsaPadding: "pkcs1" }),
    (e: unknown) => e instanceof KubecaError && /ECC_NIST_P256, ECC_NIST_P384, RSA_2048, RSA_3072, RSA_4096/.test(e.detail),
  );
});

test("a key usage refusal says that SIGN_VERIFY is needed", () => {
  assert.throws(
    () => chooseSigningAlgorithm({ keySpec: "RSA_2048", keyUsage: "ENCRYPT_DECRYPT", rsaPadding: "pkcs1" }),
    (e: unknown) => e instanceof KubecaError && /needs key usage SIGN_VERIFY/.test(e.detail),
  );
});
