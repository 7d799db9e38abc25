// What other layers use from signers/. Re-exports only; no side effects.
export type { Signer, SignatureAlgorithm, DescribableSigner } from "./signer.js";
export { isDescribable } from "./signer.js";
export { chooseSigningAlgorithm, SUPPORTED_KEY_SPECS } from "./algorithm.js";
export type { KmsKeyFacts, KmsSigningAlgorithm, RsaPadding, SigningAlgorithmChoice } from "./algorithm.js";
export { createAwsKmsSigner } from "./aws-kms.js";
export type { AwsKmsSigner, AwsKmsSignerConfig, AwsKmsSignerOptions } from "./aws-kms.js";
export { createMemorySigner } from "./memory.js";
export type { MemorySigner } from "./memory.js";
export { createSigner } from "./create-signer.js";
export type { CreateSignerOptions } from "./create-signer.js";
export { assertSignerMatchesCertificate, spkiFingerprint } from "./key-match.js";
export { SignerError, isSignerError, SIGNER_FAILURE_REASONS, KEY_STATE_REASONS } from "./signer-error.js";
export type { SignerFailureReason } from "./signer-error.js";
export { checksKeyState } from "./key-state.js";
export type { KeyState, KeyStateChecking } from "./key-state.js";
