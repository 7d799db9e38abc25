// The cluster's Kubernetes version, reduced to what decides profiles: major and minor.
import { KubecaError } from "../errors/index.js";

export interface KubernetesVersion {
  readonly major: number;
  readonly minor: number;
  /** As written in the config, for messages. */
  readonly text: string;
}

const versionPattern = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/;

/** `1.31`, `v1.31.2`, `1.29.0-rc.1` → {1, 29}. A bad version is a config error, raised at start. */
export function parseKubernetesVersion(text: string): KubernetesVersion {
  const m = versionPattern.exec(text.trim());
  if (!m) {
    throw new KubecaError("KUBECA_CONFIG_INVALID", `cluster.kubernetesVersion: "${text}" is not a version like 1.31 or v1.31.2`);
  }
  return Object.freeze({ major: Number(m[1]), minor: Number(m[2]), text });
}

export function versionAtLeast(v: KubernetesVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}
