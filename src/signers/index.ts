// What other layers use from signers/. Re-exports only; no side effects.
export type { Signer, SignatureAlgorithm, DescribableSigner, ClosableSigner } from "./signer.js";
export { isClosable, isDescribable, signerKeyLeavesToken } from "./signer.js";
export { chooseSigningAlgorithm, SUPPORTED_KEY_SPECS } from "./algorithm.js";
export type { KmsKeyFacts, KmsSigningAlgorithm, Pkcs11SigningMechanism, RsaPadding, SigningAlgorithmChoice } from "./algorithm.js";
export type { AwsKmsSigner, AwsKmsSignerConfig, AwsKmsSignerOptions } from "./aws-kms.js";
export { createMemorySigner, generateMemoryKey } from "./memory.js";
export type { MemorySigner } from "./memory.js";
// The KMS signer, the PKCS#11 signer and key generation are not re-exported: importing them from
// here would load their code (the AWS SDK in every process; PKCS#11 in the Lambda bundle, which refuses pkcs11
// signers). createSigner loads ./aws-kms.js and ./pkcs11.js on demand; `ca keygen` imports ./pkcs11-keygen.js itself.
export type { Pkcs11GeneratedKey, Pkcs11KeygenRequest } from "./pkcs11-keygen.js";
export type { Pkcs11Signer, Pkcs11SignerOptions } from "./pkcs11.js";
export { createSigner } from "./create-signer.js";
export type { CreateSignerOptions } from "./create-signer.js";
export { assertSignerMatchesCertificate, spkiFingerprint } from "./key-match.js";
export { SignerError, isSignerError, SIGNER_FAILURE_REASONS, KEY_STATE_REASONS } from "./signer-error.js";
export type { SignerFailureReason } from "./signer-error.js";
export { checksKeyState } from "./key-state.js";
export type { KeyState, KeyStateChecking } from "./key-state.js";
