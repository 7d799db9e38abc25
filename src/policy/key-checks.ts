// Is the CSR's public key one the config allows? Names follow kubeadm's encryptionAlgorithm (spec §1.5).
import type { KeyAlgorithmName } from "../config/index.js";
import type { Profile, KubernetesVersion } from "../kubeadm/index.js";
import { versionAtLeast } from "../kubeadm/index.js";
import type { KeyAlgorithm } from "../pki/types.js";
import { violation, type PolicyViolation } from "./rules.js";

const MIN_RSA_BITS = 2048;

/** The kubeadm name of a key, or undefined when kubeadm has no name for it (P-521, Ed25519, RSA-2560…). */
export function keyAlgorithmName(key: KeyAlgorithm): KeyAlgorithmName | undefined {
  switch (key.type) {
    case "rsa":
      return key.bits === 2048 || key.bits === 3072 || key.bits === 4096 ? (`RSA-${key.bits}` as KeyAlgorithmName) : undefined;
    case "ec":
      return key.curve === "P-256" ? "ECDSA-P256" : key.curve === "P-384" ? "ECDSA-P384" : undefined;
    default:
      return undefined;
  }
}

/** How a key is named in messages and audit records. */
export function describeKey(key: KeyAlgorithm): string {
  switch (key.type) {
    case "rsa":
      return `RSA-${key.bits}`;
    case "ec":
      return `ECDSA-${key.curve.replace("-", "")}`;
    case "ed25519":
      return "Ed25519";
    default:
      return `unknown key type (OID ${key.oid})`;
  }
}

export function keyViolations(
  key: KeyAlgorithm,
  allowed: ReadonlySet<KeyAlgorithmName>,
  profile: Profile,
  version: KubernetesVersion,
): PolicyViolation[] {
  const allowedText = [...allowed].join(", ");
  if (key.type === "rsa" && key.bits < MIN_RSA_BITS) {
    return [violation("key", "key-too-weak", `${describeKey(key)} is too weak: RSA keys need at least ${MIN_RSA_BITS} bits (allowed: ${allowedText})`)];
  }
  const name = keyAlgorithmName(key);
  if (name !== undefined && allowed.has(name)) return [];
  // kubeadm 1.29–1.30 made every kubeconfig key RSA-2048 whatever the setting (spec §1.5): say so.
  const hint =
    name === "RSA-2048" && profile.kind === "kubeconfig" && versionAtLeast(version, 1, 29) && !versionAtLeast(version, 1, 31)
      ? "; kubeadm 1.29–1.30 always makes RSA-2048 keys for kubeconfig files, whatever encryptionAlgorithm says"
      : "";
  return [violation("key", "key-algorithm-not-allowed", `key algorithm ${describeKey(key)} is not allowed by keys.allowed (allowed: ${allowedText})${hint}`)];
}
