// The kubelet signer's settings, compiled once from the config (style rule 4): durations in
// seconds, CIDRs parsed, suffixes lower-cased, then frozen. decide() reads only this.
import ipaddr from "ipaddr.js";
import type { CaName, Config, KeyAlgorithmName, KubeletSignerConfig } from "../config/index.js";
import { KubeletSignerConfig as KubeletSignerSchema } from "../config/index.js";
import { KubecaError } from "../errors/index.js";

export interface LeaderElectionPolicy {
  readonly enabled: boolean;
  readonly namespace: string;
  readonly leaseName: string;
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineSeconds: number;
  readonly retryPeriodSeconds: number;
}

export interface KubeletPolicy {
  readonly servingCa: CaName;
  readonly servingValiditySeconds: number;
  readonly clientValiditySeconds: number;
  readonly allowedCidrs: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];
  /** Lower-case; a suffix starting with `.` matches subdomains, otherwise the exact name or its subdomains. */
  readonly allowedDnsSuffixes: readonly string[];
  readonly keyAlgorithms: readonly KeyAlgorithmName[];
  readonly nodeWaitSeconds: number;
  readonly resyncSeconds: number;
  readonly leaderElection: LeaderElectionPolicy;
}

/** Go-style duration (`720h`, `1h30m`, `90s`) to seconds. The schema has already checked the shape. */
export function durationSeconds(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === "") throw new KubecaError("KUBECA_CONFIG_INVALID", `not a duration: ${text}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

export function compileKubeletPolicy(config: Pick<Config, "keys" | "kubeletSigner">): KubeletPolicy {
  // An absent section means every default; parsing {} yields them from the one schema.
  const section: KubeletSignerConfig = config.kubeletSigner ?? KubeletSignerSchema.parse({});
  const cidrs = section.allowedCidrs.map((c, i) => {
    try {
      return ipaddr.parseCIDR(c);
    } catch (e) {
      throw new KubecaError("KUBECA_CONFIG_INVALID", `kubeletSigner.allowedCidrs.${i}: ${c} is not a CIDR`, { cause: e });
    }
  });
  const le = section.leaderElection;
  if (le.renewDeadlineSeconds >= le.leaseDurationSeconds) {
    // A leader that may still sign after its lease could be taken over would allow double signing.
    throw new KubecaError(
      "KUBECA_CONFIG_INVALID",
      "kubeletSigner.leaderElection.renewDeadlineSeconds must be shorter than leaseDurationSeconds",
    );
  }
  return Object.freeze({
    servingCa: section.servingCa,
    servingValiditySeconds: durationSeconds(section.servingValidity),
    clientValiditySeconds: durationSeconds(section.clientValidity),
    allowedCidrs: Object.freeze(cidrs),
    allowedDnsSuffixes: Object.freeze(section.allowedDnsSuffixes.map((s) => s.toLowerCase())),
    keyAlgorithms: Object.freeze([...(section.keyAlgorithms ?? config.keys.allowed)]),
    nodeWaitSeconds: section.nodeWaitSeconds,
    resyncSeconds: section.resyncSeconds,
    leaderElection: Object.freeze({ ...le }),
  });
}
