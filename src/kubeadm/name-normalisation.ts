// How DNS and IP SANs are compared. A private stand-in for pki/names.ts (normalizeDnsName, canonicalIp),
// which another engineer is writing; when it lands, import from there and delete this file.
import ipaddr from "ipaddr.js";
import { ipFamily } from "../config/ip-family.js";

/** DNS names compare case-insensitively and without the trailing dot of a fully qualified name. */
export function normalizeDnsName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/**
 * IPs compare as addresses, in one text form: dotted quad for IPv4, RFC 5952 for IPv6, except that an
 * IPv4-mapped IPv6 address keeps its `::ffff:a.b.c.d` form — it is a different SAN from the IPv4 address.
 * Undefined when the text is not an IP (node:net's strict parser, so `010.0.0.1` or `10.1` are refused;
 * a zone id such as `fe80::1%eth0` is no SAN either).
 */
export function canonicalIp(text: string): string | undefined {
  if (ipFamily(text) === 0 || text.includes("%")) return undefined;
  const addr = ipaddr.parse(text);
  if (addr.kind() === "ipv4") return addr.toString();
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return `::ffff:${v6.toIPv4Address().toString()}`;
  return v6.toRFC5952String();
}

/** A name with a `*` label; kubeadm accepts `*.example.com` in certSANs. */
export function isWildcardName(name: string): boolean {
  return name.includes("*");
}
