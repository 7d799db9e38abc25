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
