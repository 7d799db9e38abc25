// Which KMS signing algorithm and X.509 signature algorithm a KMS key gets: one pure function,
// table-tested with every refusal (style rule 6). Digests only: the hash runs locally.
import { KubecaError } from "../errors/index.js";
import type { SignatureAlgorithm } from "./signer.js";

export type RsaPadding = "pkcs1" | "pss";

export type KmsSigningAlgorithm =
  | "ECDSA_SHA_256"
  | "ECDSA_SHA_384"
  | "RSASSA_PKCS1_V1_5_SHA_256"
  | "RSASSA_PSS_SHA_256";

export interface SigningAlgorithmChoice {
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly kmsAlgorithm: KmsSigningAlgorithm;
  /** node:crypto hash name for the local digest sent with MessageType DIGEST. */
  readonly hash: "sha256" | "sha384";
}

export interface KmsKeyFacts {
  /** KeySpec from GetPublicKey, e.g. ECC_NIST_P256 or RSA_2048. */
  readonly keySpec: string | undefined;
  /** KeyUsage from GetPublicKey; only SIGN_VERIFY keys can sign. */
  readonly keyUsage: string | undefined;
  readonly rsaPadding: RsaPadding;
}

export const SUPPORTED_KEY_SPECS = ["ECC_NIST_P256", "ECC_NIST_P384", "RSA_2048", "RSA_3072", "RSA_4096"] as const;

const EC: Record<string, SigningAlgorithmChoice> = {
  ECC_NIST_P256: { signatureAlgorithm: "ecdsa-with-SHA256", kmsAlgorithm: "ECDSA_SHA_256", hash: "sha256" },
  ECC_NIST_P384: { signatureAlgorithm: "ecdsa-with-SHA384", kmsAlgorithm: "ECDSA_SHA_384", hash: "sha384" },
};
const RSA_SPECS = new Set(["RSA_2048", "RSA_3072", "RSA_4096"]);
const RSA: Record<RsaPadding, SigningAlgorithmChoice> = {
  pkcs1: { signatureAlgorithm: "sha256WithRSAEncryption", kmsAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256", hash: "sha256" },
  pss: { signatureAlgorithm: "rsassa-pss-sha256", kmsAlgorithm: "RSASSA_PSS_SHA_256", hash: "sha256" },
};

function refuse(detail: string): never {
  throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", detail);
}

/**
 * Picks the algorithms for a KMS key, or throws KUBECA_SIGNER_MISCONFIGURED naming what is supported.
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
