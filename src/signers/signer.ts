// A Signer turns TBS bytes into an X.509 signature. Exactly three members; nothing else on the
// interface (style rule 5). The CA private key never exists in this process for production signers.

/** The signature algorithms kubeca can put in a certificate. */
export type SignatureAlgorithm =
  | "ecdsa-with-SHA256" // P-256 key
  | "ecdsa-with-SHA384" // P-384 key
  | "sha256WithRSAEncryption"
  | "rsassa-pss-sha256";

export interface Signer {
  readonly algorithm: SignatureAlgorithm;
  /** SubjectPublicKeyInfo DER of the signing key, read once when the signer is built. */
  readonly publicKey: Uint8Array;
  /**
   * Sign `tbs` (e.g. a DER TBSCertificate). Returns the bytes for the X.509 signatureValue BIT STRING:
   * DER ECDSA-Sig-Value for ECDSA, the raw signature for RSA. Failures are KubecaError with
   * KUBECA_SIGNER_UNAVAILABLE (transient, retryAfter set) or KUBECA_SIGNER_MISCONFIGURED.
   */
  sign(tbs: Uint8Array): Promise<Uint8Array>;
}

/** Optional capability: a signer that holds a connection or describes itself (behind a type guard). */
export interface DescribableSigner extends Signer {
  describe(): string;
}

export function isDescribable(s: Signer): s is DescribableSigner {
  return typeof (s as Partial<DescribableSigner>).describe === "function";
}

/** Optional capability: a signer holding sessions or sockets that its owner should close. */
export interface ClosableSigner extends Signer {
  close(): void;
}

export function isClosable(s: Signer): s is ClosableSigner {
  return typeof (s as Partial<ClosableSigner>).close === "function";
}

/**
 * Optional fact: the signer's private key can be taken off its key store (a PKCS#11 key allowed
 * with allowExtractable). Such a signer still signs; whoever opens it writes a warning to the audit log.
 */
export function signerKeyLeavesToken(s: Signer): boolean {
  return (s as { keyLeavesToken?: unknown }).keyLeavesToken === true;
}
