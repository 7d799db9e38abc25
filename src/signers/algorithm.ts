// Which signing algorithm (KMS's name and PKCS#11's mechanism) and X.509 signature algorithm a CA key
// gets: one pure function for every signer type, table-tested with every refusal (style rule 6).
// Digests only: the hash runs locally, so the key store never sees the TBS bytes.
import { KubecaError } from "../errors/index.js";
import type { SignatureAlgorithm } from "./signer.js";

export type RsaPadding = "pkcs1" | "pss";

export type KmsSigningAlgorithm =
  | "ECDSA_SHA_256"
  | "ECDSA_SHA_384"
  | "RSASSA_PKCS1_V1_5_SHA_256"
  | "RSASSA_PSS_SHA_256";

/**
 * The PKCS#11 mechanism that signs the local digest: CKM_ECDSA over the digest (raw r||s back),
 * CKM_RSA_PKCS over the DigestInfo, CKM_RSA_PKCS_PSS over the digest with SHA-256/MGF1-SHA-256/salt 32.
 */
export type Pkcs11SigningMechanism = "CKM_ECDSA" | "CKM_RSA_PKCS" | "CKM_RSA_PKCS_PSS";

export interface SigningAlgorithmChoice {
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly kmsAlgorithm: KmsSigningAlgorithm;
  readonly pkcs11Mechanism: Pkcs11SigningMechanism;
  /** node:crypto hash name for the local digest sent with MessageType DIGEST. */
  readonly hash: "sha256" | "sha384";
}

/** A key described in KMS's terms; the PKCS#11 signer translates its key's attributes into them. */
export interface KmsKeyFacts {
  /** KeySpec from GetPublicKey, e.g. ECC_NIST_P256 or RSA_2048. */
  readonly keySpec: string | undefined;
  /** KeyUsage from GetPublicKey; only SIGN_VERIFY keys can sign (PKCS#11: CKA_SIGN true). */
  readonly keyUsage: string | undefined;
  readonly rsaPadding: RsaPadding;
}

export const SUPPORTED_KEY_SPECS = ["ECC_NIST_P256", "ECC_NIST_P384", "RSA_2048", "RSA_3072", "RSA_4096"] as const;

const EC: Record<string, SigningAlgorithmChoice> = {
  ECC_NIST_P256: { signatureAlgorithm: "ecdsa-with-SHA256", kmsAlgorithm: "ECDSA_SHA_256", pkcs11Mechanism: "CKM_ECDSA", hash: "sha256" },
  ECC_NIST_P384: { signatureAlgorithm: "ecdsa-with-SHA384", kmsAlgorithm: "ECDSA_SHA_384", pkcs11Mechanism: "CKM_ECDSA", hash: "sha384" },
};
const RSA_SPECS = new Set(["RSA_2048", "RSA_3072", "RSA_4096"]);
const RSA: Record<RsaPadding, SigningAlgorithmChoice> = {
  pkcs1: { signatureAlgorithm: "sha256WithRSAEncryption", kmsAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256", pkcs11Mechanism: "CKM_RSA_PKCS", hash: "sha256" },
  pss: { signatureAlgorithm: "rsassa-pss-sha256", kmsAlgorithm: "RSASSA_PSS_SHA_256", pkcs11Mechanism: "CKM_RSA_PKCS_PSS", hash: "sha256" },
};

function refuse(detail: string): never {
  throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", detail);
}

/**
 * Picks the algorithms for a KMS or PKCS#11 key, or throws KUBECA_SIGNER_MISCONFIGURED naming what is supported.
 * SHA-256 for every RSA size: it is what kubeadm's own CAs use and what every Kubernetes client accepts.
 */
export function chooseSigningAlgorithm(key: KmsKeyFacts): SigningAlgorithmChoice {
  if (key.keyUsage !== "SIGN_VERIFY") {
    refuse(`key usage is ${key.keyUsage ?? "unknown"}; a CA key needs key usage SIGN_VERIFY`);
  }
  const spec = key.keySpec;
  const ec = spec === undefined ? undefined : EC[spec];
  if (ec) {
    if (key.rsaPadding === "pss") {
      refuse(`rsaPadding pss applies to RSA keys only, and this key is ${spec}; remove rsaPadding or set it to pkcs1`);
    }
    return ec;
  }
  if (spec !== undefined && RSA_SPECS.has(spec)) return RSA[key.rsaPadding];
  return refuse(
    `key spec ${spec ?? "unknown"} cannot sign certificates here; supported key specs: ${SUPPORTED_KEY_SPECS.join(", ")}`,
  );
}
