// A list of DNS and IP SANs in comparison form (see name-normalisation.ts), without duplicates.
import { canonicalIp, normalizeDnsName } from "./name-normalisation.js";

export interface SanNames {
  /** Lower case, no trailing dot. */
  readonly dns: readonly string[];
  /** Canonical text; IPv4-mapped IPv6 stays distinct from IPv4. */
  readonly ip: readonly string[];
}

export const NO_SANS: SanNames = Object.freeze({ dns: Object.freeze([]), ip: Object.freeze([]) });

/**
 * Split kubeadm-style SAN entries (certSANs, serverCertSANs) the way kubeadm does: what parses as an IP is
 * an IP SAN, everything else a DNS name. The config schema has already refused entries that are neither.
 */
export function splitNamesAndIps(entries: readonly string[]): SanNames {
  const dns: string[] = [];
  const ip: string[] = [];
  for (const e of entries) {
    const addr = canonicalIp(e);
    if (addr !== undefined) ip.push(addr);
    else dns.push(normalizeDnsName(e));
  }
  return { dns, ip };
}

/** Union in order of appearance, duplicates dropped; DNS names sorted as kubeadm 1.2x+ writes them (spec §1.3). */
export function unionSans(...parts: readonly SanNames[]): SanNames {
  const dns = new Set<string>();
  const ip = new Set<string>();
  for (const p of parts) {
    for (const d of p.dns) dns.add(d);
    for (const i of p.ip) ip.add(i);
  }
  return Object.freeze({ dns: Object.freeze([...dns].sort()), ip: Object.freeze([...ip]) });
}
