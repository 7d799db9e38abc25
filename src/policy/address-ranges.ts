// A node group's address ranges, compiled once: the CIDRs its nodes' IP SANs must fall in and the DNS
// suffixes their names must end with, beyond the SANs kubeadm derives from cluster-wide facts.
import ipaddr from "ipaddr.js";
import type { NodeGroupConfig } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import { normalizeDnsName } from "../kubeadm/index.js";

export interface AddressRanges {
  /** The group's name, for messages. */
  readonly group: string;
  /** As written in the config, for messages and `kubeca policy check`. */
  readonly cidrs: readonly string[];
  /** Lower case, as written otherwise. */
  readonly dnsSuffixes: readonly string[];
  containsIp(ip: string): boolean;
  containsDnsName(name: string): boolean;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function compileAddressRanges(group: NodeGroupConfig, index: number): AddressRanges {
  const ranges: Range[] = group.allowedCidrs.map((c, i) => {
    try {
      return ipaddr.parseCIDR(c);
    } catch (e) {
      throw new KubecaError("KUBECA_CONFIG_INVALID", `nodeGroups.${index}.allowedCidrs.${i}: ${c} is not a CIDR`, { cause: e });
    }
  });
  const suffixes = group.allowedDnsSuffixes.map((s) => normalizeDnsName(s));
  return Object.freeze({
    group: group.name,
    cidrs: Object.freeze([...group.allowedCidrs]),
    dnsSuffixes: Object.freeze(suffixes),
    containsIp(ip: string): boolean {
      if (!ipaddr.isValid(ip)) return false;
      const addr = ipaddr.parse(ip);
      // An IPv4-mapped IPv6 SAN is not the IPv4 address (see san-checks.ts): kinds must agree.
      return ranges.some(([range, bits]) => addr.kind() === range.kind() && addr.match(range, bits));
    },
    containsDnsName(name: string): boolean {
      const n = normalizeDnsName(name);
      // `.example.com` matches only names below it; `example.com` matches itself and below (as kubeletSigner).
      return suffixes.some((s) => (s.startsWith(".") ? n.endsWith(s) : n === s || n.endsWith("." + s)));
    },
  });
}
