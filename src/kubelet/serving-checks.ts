// spec §3.4 for `kubernetes.io/kubelet-serving`, every check, one violation per offending value.
import ipaddr from "ipaddr.js";
import type { V1CertificateSigningRequest } from "@kubernetes/client-node";
import type { Violation } from "../errors/index.js";
import type { ParsedCsr } from "../pki/types.js";
import { sameIp } from "./address-source.js";
import type { NodeFacts } from "./facts.js";
import type { KubeletPolicy } from "./kubelet-policy.js";
import { KUBELET_SERVING_SIGNER, NODE_USER_PREFIX, NODES_GROUP, Reasons } from "./reasons.js";
import {
  SERVING_USAGE_SETS,
  keyViolations,
  organizationViolations,
  subjectAttributeViolations,
  usageViolations,
} from "./shape-checks.js";

/** The Node a serving CSR speaks for, from spec.username, or undefined when it is not a node user. */
export function nodeNameOf(username: string | undefined): string | undefined {
  if (!username?.startsWith(NODE_USER_PREFIX)) return undefined;
  const name = username.slice(NODE_USER_PREFIX.length);
  return name.length > 0 ? name : undefined;
}

/** Checks that need only the CSR and the config (everything but the Node's addresses). */
export function servingRequestViolations(k8s: V1CertificateSigningRequest, csr: ParsedCsr, policy: KubeletPolicy): Violation[] {
  const username = k8s.spec.username ?? "";
  const v: Violation[] = [];
  if (!nodeNameOf(username)) {
    v.push({ field: "spec.username", rule: Reasons.UsernameNotNode, message: `requester ${username || "(none)"} is not a node (${NODE_USER_PREFIX}<name>)` });
  }
  if (!(k8s.spec.groups ?? []).includes(NODES_GROUP)) {
    v.push({ field: "spec.groups", rule: Reasons.MissingNodesGroup, message: `requester is not in group ${NODES_GROUP}` });
  }
  if (csr.commonNames.length !== 1 || csr.commonNames[0] !== username) {
    v.push({
      field: "subject.CN",
      rule: Reasons.CommonNameMismatch,
      message: `subject CN [${csr.commonNames.join(", ")}] differs from the requesting user ${username || "(none)"}`,
    });
  }
  v.push(...organizationViolations(csr), ...subjectAttributeViolations(csr));
  v.push(...usageViolations(k8s.spec.usages ?? [], SERVING_USAGE_SETS, KUBELET_SERVING_SIGNER));
  v.push(...keyViolations(csr, policy.keyAlgorithms));
  csr.otherNames.forEach((n, i) =>
    v.push({ field: `san.${n.type}[${i}]`, rule: Reasons.ForbiddenSanType, message: `${n.type} SAN ${n.value} is not allowed in a serving certificate` }),
  );
  if (csr.dnsNames.length === 0 && csr.ipAddresses.length === 0) {
    v.push({ field: "san", rule: Reasons.NoSubjectAltNames, message: "the CSR names no DNS name and no IP address" });
  }
  csr.dnsNames.forEach((d, i) => {
    const name = d.toLowerCase();
    if (name.includes("*") || name === "kubernetes" || name.startsWith("kubernetes.")) {
      v.push({ field: `san.dns[${i}]`, rule: Reasons.ReservedDnsName, message: `DNS SAN ${d} is a wildcard or a kubernetes service name` });
    }
    if (policy.allowedDnsSuffixes.length > 0 && !policy.allowedDnsSuffixes.some((s) => suffixMatches(name, s))) {
      v.push({
        field: `san.dns[${i}]`,
        rule: Reasons.DnsNameNotAllowed,
        message: `DNS SAN ${d} is under none of the allowed suffixes ${policy.allowedDnsSuffixes.join(", ")}`,
      });
    }
  });
  csr.ipAddresses.forEach((ip, i) => {
    if (policy.allowedCidrs.length > 0 && !policy.allowedCidrs.some((c) => inCidr(ip, c))) {
      v.push({
        field: `san.ip[${i}]`,
        rule: Reasons.IpAddressNotAllowed,
        message: `IP SAN ${ip} is in none of the allowed CIDRs ${policy.allowedCidrs.map(([a, b]) => `${a.toString()}/${b}`).join(", ")}`,
      });
    }
  });
  v.push(...groupViolations(csr, nodeNameOf(username), policy));
  return v;
}

/**
 * A node no entry under `nodes` lists but a node group admits: its SANs must also fall in the group's
 * allowedCidrs and allowedDnsSuffixes, each when the group sets it (the Node checks still apply).
 */
function groupViolations(csr: ParsedCsr, node: string | undefined, policy: KubeletPolicy): Violation[] {
  const ranges = node === undefined ? undefined : policy.groupRanges(node);
  if (!ranges) return [];
  const v: Violation[] = [];
  if (ranges.dnsSuffixes.length > 0) {
    csr.dnsNames.forEach((d, i) => {
      if (!ranges.dnsSuffixes.some((s) => suffixMatches(d.toLowerCase(), s))) {
        v.push({
          field: `san.dns[${i}]`,
          rule: Reasons.DnsNameNotAllowed,
          message: `DNS SAN ${d} is under none of the allowedDnsSuffixes of node group ${ranges.group} (${ranges.dnsSuffixes.join(", ")})`,
        });
      }
    });
  }
  if (ranges.cidrs.length > 0) {
    csr.ipAddresses.forEach((ip, i) => {
      if (!ranges.cidrs.some((c) => inCidr(ip, c))) {
        v.push({
          field: `san.ip[${i}]`,
          rule: Reasons.IpAddressNotAllowed,
          message: `IP SAN ${ip} is in none of the allowedCidrs of node group ${ranges.group} (${ranges.cidrs.map(([a, b]) => `${a.toString()}/${b}`).join(", ")})`,
        });
      }
    });
  }
  return v;
}

/** Every SAN against the Node's addresses; a missing Node is itself the violation. */
export function servingNodeViolations(csr: ParsedCsr, node: NodeFacts): Violation[] {
  if (node.state === "not-looked-up") return [];
  if (node.state === "missing") {
    return [{ field: "node", rule: Reasons.NodeNotFound, message: `Node ${node.name} does not exist` }];
  }
  const v: Violation[] = [];
  const { addresses } = node;
  if (addresses.unvouched) {
    v.push({ field: "node.spec.providerID", rule: Reasons.InstanceNotInInventory, message: addresses.unvouched });
  }
  csr.dnsNames.forEach((d, i) => {
    if (!addresses.dnsNames.includes(d.toLowerCase())) {
      v.push({ field: `san.dns[${i}]`, rule: Reasons.DnsNameNotOnNode, message: `DNS SAN ${d} is not an address of Node ${node.name} (${addresses.source})` });
    }
  });
  csr.ipAddresses.forEach((ip, i) => {
    if (!addresses.ipAddresses.some((a) => sameIp(a, ip))) {
      v.push({ field: `san.ip[${i}]`, rule: Reasons.IpAddressNotOnNode, message: `IP SAN ${ip} is not an address of Node ${node.name} (${addresses.source})` });
    }
  });
  return v;
}

/** `.example.com` matches only below it; `example.com` matches itself and below. */
function suffixMatches(name: string, suffix: string): boolean {
  if (suffix.startsWith(".")) return name.endsWith(suffix);
  return name === suffix || name.endsWith("." + suffix);
}

function inCidr(ip: string, [range, bits]: readonly [ipaddr.IPv4 | ipaddr.IPv6, number]): boolean {
  if (!ipaddr.isValid(ip)) return false;
  const addr = ipaddr.parse(ip);
  // match() throws across families; an IPv4 SAN is simply not in an IPv6 CIDR.
  return addr.kind() === range.kind() && addr.match(range, bits);
}
