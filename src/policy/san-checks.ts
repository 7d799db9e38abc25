// Are the CSR's SANs exactly within what this node may have in this file (spec §1.3)? One violation per
// offending or missing name, so an operator sees the whole difference at once.
import type { Profile, SanRule } from "../kubeadm/index.js";
import { canonicalIp, isWildcardName, normalizeDnsName } from "../kubeadm/index.js";
import type { ParsedCsr } from "../pki/types.js";
import type { AddressRanges } from "./address-ranges.js";
import { violation, type PolicyViolation } from "./rules.js";

const quote = (s: string): string => JSON.stringify(s);

function foreignSanViolations(csr: ParsedCsr): PolicyViolation[] {
  return csr.otherNames.map((n) =>
    violation(`san.${n.type}`, "san-type-not-allowed", `${n.type} SAN ${quote(n.value)} is not allowed: only DNS and IP SANs are signed`),
  );
}

/** A client profile: kubeadm requests it with no SANs at all. */
function unexpectedSanViolations(csr: ParsedCsr, profile: Profile): PolicyViolation[] {
  const why = `${profile.name} is a client certificate and kubeadm requests it without SANs`;
  return [
    ...csr.dnsNames.map((d, i) => violation(`san.dns[${i}]`, "san-not-expected", `DNS SAN ${quote(d)} is not expected: ${why}`)),
    ...csr.ipAddresses.map((a, i) => violation(`san.ip[${i}]`, "san-not-expected", `IP SAN ${quote(a)} is not expected: ${why}`)),
  ];
}

/**
 * `ranges`: the node's group, when it is a group member. Its names and addresses beyond the cluster-wide
 * ones are unknown one by one, so they must fall in the group's CIDRs and DNS suffixes instead.
 */
function serverSanViolations(csr: ParsedCsr, profile: Profile, node: string, rule: SanRule, ranges: AddressRanges | undefined): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const allowedDns = new Set(rule.allowed.dns);
  const allowedIp = new Set(rule.allowed.ip);
  const wildcards = new Set(rule.wildcards);
  const dnsList = rule.allowed.dns.join(", ");
  const ipList = rule.allowed.ip.join(", ");

  const seenDns = new Set<string>();
  csr.dnsNames.forEach((raw, i) => {
    const name = normalizeDnsName(raw);
    seenDns.add(name);
    if (isWildcardName(name)) {
      if (!wildcards.has(name)) {
        out.push(violation(`san.dns[${i}]`, "wildcard-not-allowed",
          `DNS SAN ${quote(raw)} is a wildcard; ${profile.name} gets a wildcard only when it is listed verbatim in ${rule.extraSansField}`));
      }
    } else if (allowedDns.has(name) || ranges?.containsDnsName(name)) {
      return;
    } else if (ranges) {
      const suffixes = ranges.dnsSuffixes.length > 0 ? ranges.dnsSuffixes.join(", ") : "none";
      out.push(violation(`san.dns[${i}]`, "dns-san-not-in-group-suffixes",
        `DNS SAN ${quote(raw)} is neither one of ${node}'s names for ${profile.name} (${dnsList}) nor under the allowedDnsSuffixes of node group ${ranges.group} (${suffixes})`));
    } else {
      out.push(violation(`san.dns[${i}]`, "dns-san-not-allowed",
        `DNS SAN ${quote(raw)} is not one of ${node}'s names for ${profile.name} (allowed: ${dnsList})`));
    }
  });

  const seenIp = new Set<string>();
  csr.ipAddresses.forEach((raw, i) => {
    const ip = canonicalIp(raw) ?? raw;
    seenIp.add(ip);
    if (allowedIp.has(ip) || ranges?.containsIp(ip)) return;
    // `::ffff:10.0.0.10` is a different SAN from 10.0.0.10: a TLS client dialling the IPv4 address rejects it.
    const v4 = ip.startsWith("::ffff:") ? ip.slice("::ffff:".length) : undefined;
    const mapped = v4 !== undefined && (allowedIp.has(v4) || ranges?.containsIp(v4))
      ? ` (an IPv4-mapped IPv6 address is not the same SAN as ${v4})`
      : "";
    if (ranges) {
      out.push(violation(`san.ip[${i}]`, "ip-san-not-in-group-cidrs",
        `IP SAN ${quote(raw)} is neither one of ${node}'s addresses for ${profile.name} (${ipList}) nor in the allowedCidrs of node group ${ranges.group} (${ranges.cidrs.join(", ")})${mapped}`));
      return;
    }
    out.push(violation(`san.ip[${i}]`, "ip-san-not-allowed",
      `IP SAN ${quote(raw)} is not one of ${node}'s addresses for ${profile.name} (allowed: ${ipList})${mapped}`));
  });

  const later = "kubeadm would accept the certificate, but clients reaching the server";
  for (const name of rule.required.dns) {
    if (!seenDns.has(name)) {
      out.push(violation("san.dns", "required-san-missing",
        `DNS SAN ${quote(name)} is missing from the ${profile.name} CSR: ${later} by that name would fail TLS verification later`));
    }
  }
  for (const ip of rule.required.ip) {
    if (!seenIp.has(ip)) {
      out.push(violation("san.ip", "required-san-missing",
        `IP SAN ${quote(ip)} is missing from the ${profile.name} CSR: ${later} at ${ip} would fail TLS verification later`));
    }
  }
  return out;
}

/** `rule` is the node's SAN rule for the profile's SAN set, undefined for client profiles; `ranges` its group's. */
export function sanViolations(
  csr: ParsedCsr,
  profile: Profile,
  node: string,
  rule: SanRule | undefined,
  ranges?: AddressRanges,
): PolicyViolation[] {
  return [
    ...foreignSanViolations(csr),
    ...(rule === undefined ? unexpectedSanViolations(csr, profile) : serverSanViolations(csr, profile, node, rule, ranges)),
  ];
}
