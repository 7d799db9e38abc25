// Development signer: a fresh key generated at start, held only in memory, never written. With
// `kubeca serve --workers N` the primary generates it and hands it to its workers over their IPC
// channel (src/server/cluster/development-cas.ts), so every process signs with the one CA key.
import { constants, createPublicKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from "node:crypto";
import type { KeyAlgorithmName } from "../config/index.js";
import type { Signer, SignatureAlgorithm } from "./signer.js";

export interface MemorySigner extends Signer {
  describe(): string;
}

/** A new development CA key. */
export function generateMemoryKey(algorithm: KeyAlgorithmName): KeyObject {
  switch (algorithm) {
    case "ECDSA-P256":
      return generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    case "ECDSA-P384":
      return generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey;
    case "RSA-2048":
      return generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    case "RSA-3072":
      return generateKeyPairSync("rsa", { modulusLength: 3072 }).privateKey;
    case "RSA-4096":
      return generateKeyPairSync("rsa", { modulusLength: 4096 }).privateKey;
  }
}

/**
 * A signer whose key lives only in memory. `rsaPadding` picks PKCS#1 v1.5 or PSS for RSA keys.
 * `key`: a key from generateMemoryKey (a serve worker gets its primary's; tests pin one).
 */
export function createMemorySigner(
  algorithm: KeyAlgorithmName,
  options: { rsaPadding?: "pkcs1" | "pss"; key?: KeyObject } = {},
): MemorySigner {
  const key = options.key ?? generateMemoryKey(algorithm);
  const publicKey = new Uint8Array(createPublicKey(key).export({ format: "der", type: "spki" }));
  const pss = options.rsaPadding === "pss";
  const sigAlg: SignatureAlgorithm =
    algorithm === "ECDSA-P256"
      ? "ecdsa-with-SHA256"
      : algorithm === "ECDSA-P384"
        ? "ecdsa-with-SHA384"
        : pss
          ? "rsassa-pss-sha256"
          : "sha256WithRSAEncryption";
  const hash = algorithm === "ECDSA-P384" ? "sha384" : "sha256";
  return {
    algorithm: sigAlg,
    publicKey,
    async sign(tbs: Uint8Array): Promise<Uint8Array> {
      if (key.asymmetricKeyType === "ec") return cryptoSign(hash, tbs, { key, dsaEncoding: "der" });
      if (pss) {
        return cryptoSign(hash, tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
      }
      return cryptoSign(hash, tbs, key);
    },
    describe: () => `memory ${algorithm}${pss ? " PSS" : ""} (development only: key exists only in this process)`,
  };
}
