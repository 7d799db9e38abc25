// The kubelet signer's settings, compiled once from the config (style rule 4): durations in
// seconds, CIDRs parsed, suffixes lower-cased, then frozen. decide() reads only this.
import ipaddr from "ipaddr.js";
import type { CaName, Config, KeyAlgorithmName, KubeletSignerConfig } from "../config/index.js";
import { compileNodeLookup, KubeletSignerConfig as KubeletSignerSchema } from "../config/index.js";
import { KubecaError } from "../errors/index.js";

export interface LeaderElectionPolicy {
  readonly enabled: boolean;
  readonly namespace: string;
  readonly leaseName: string;
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineSeconds: number;
  readonly retryPeriodSeconds: number;
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** A node group's ranges, for a serving CSR from a member that no entry under `nodes` lists. */
export interface GroupRanges {
  readonly group: string;
  /** Empty: the group sets no CIDRs, and only kubeletSigner.allowedCidrs and the Node apply. */
  readonly cidrs: readonly Cidr[];
  readonly dnsSuffixes: readonly string[];
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
  /** The node group a node name falls in when it is not listed under `nodes`; undefined otherwise. */
  groupRanges(node: string): GroupRanges | undefined;
  /** The role `nodes` or a node group gives this node name; undefined when the config knows no such node. */
  nodeRole(node: string): "control-plane" | "worker" | undefined;
}

/** Go-style duration (`720h`, `1h30m`, `90s`) to seconds. The schema has already checked the shape. */
export function durationSeconds(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === "") throw new KubecaError("KUBECA_CONFIG_INVALID", `not a duration: ${text}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** `nodes` and `nodeGroups` are optional so callers that know no groups (tests, benches) need not pass them. */
export function compileKubeletPolicy(
  config: Pick<Config, "keys" | "kubeletSigner"> & Partial<Pick<Config, "nodes" | "nodeGroups">>,
): KubeletPolicy {
  // An absent section means every default; parsing {} yields them from the one schema.
  const section: KubeletSignerConfig = config.kubeletSigner ?? KubeletSignerSchema.parse({});
  const cidrs = section.allowedCidrs.map((c, i) => {
    try {
      return ipaddr.parseCIDR(c);
    } catch (e) {
      throw new KubecaError("KUBECA_CONFIG_INVALID", `kubeletSigner.allowedCidrs.${i}: ${c} is not a CIDR`, { cause: e });
    }
  });
  const lookup = compileNodeLookup({ nodes: config.nodes ?? [], nodeGroups: config.nodeGroups ?? [] });
  const ranges = new Map(
    (config.nodeGroups ?? []).map((g, gi) => {
      const groupCidrs = g.allowedCidrs.map((c, i) => {
        try {
          return ipaddr.parseCIDR(c);
        } catch (e) {
          throw new KubecaError("KUBECA_CONFIG_INVALID", `nodeGroups.${gi}.allowedCidrs.${i}: ${c} is not a CIDR`, { cause: e });
        }
      });
      const value: GroupRanges = Object.freeze({
        group: g.name,
        cidrs: Object.freeze(groupCidrs),
        dnsSuffixes: Object.freeze(g.allowedDnsSuffixes.map((d) => d.toLowerCase())),
      });
      return [g, value] as const;
    }),
  );
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
    groupRanges(node: string): GroupRanges | undefined {
      const entry = lookup.find(node);
      return entry?.kind === "group" ? ranges.get(entry.group) : undefined;
    },
    nodeRole(node: string): "control-plane" | "worker" | undefined {
      return lookup.find(node)?.role;
    },
  });
}
