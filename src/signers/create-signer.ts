// The one place a SignerConfig becomes a Signer.
import type { SignerConfig } from "../config/index.js";
import type { AwsKmsSignerOptions } from "./aws-kms.js";
import { createMemorySigner } from "./memory.js";
import type { Pkcs11SignerOptions } from "./pkcs11.js";
import type { Signer } from "./signer.js";

/** Options for the signer types that take any. */
export type CreateSignerOptions = AwsKmsSignerOptions & Pkcs11SignerOptions;

export async function createSigner(config: SignerConfig, options: CreateSignerOptions = {}): Promise<Signer> {
  switch (config.type) {
    case "aws-kms": {
      // Loaded only for a KMS signer: the AWS SDK is megabytes of a process's memory that a server
      // with development or PKCS#11 signers never uses.
      const { createAwsKmsSigner } = await import("./aws-kms.js");
      return createAwsKmsSigner(config, options);
    }
    case "memory":
      return createMemorySigner(config.algorithm);
    case "pkcs11": {
      // Loaded only for a pkcs11 signer: Lambda, which refuses them, never loads the PKCS#11 code.
      const { createPkcs11Signer } = await import("./pkcs11.js");
      return createPkcs11Signer(config, options);
    }
  }
}
