// What `kubeca policy check` prints: the cluster facts, then per node and per node group the files it may
// receive, with subject, issuer and EKU, and for server certificates the exact required and allowed SANs.
// Built from the compiled policy (policyEntitlements), never from a second reading of the config.
import type { CaName, Config } from "../config/index.js";
import type { SanNames } from "../kubeadm/index.js";
import { policyEntitlements, type FileEntitlement, type GroupEntitlements, type NodeEntitlements, type Policy } from "../policy/index.js";

export interface PolicyReport {
  readonly valid: true;
  readonly cluster: {
    readonly name: string;
    readonly kubernetesVersion: string;
    readonly dnsDomain: string;
    /** The `kubernetes` Service's ClusterIP, a required apiserver SAN. */
    readonly serviceIp: string;
    readonly controlPlaneEndpoint: SanNames;
    readonly etcd: "stacked" | "external";
    readonly cas: readonly CaName[];
    readonly leafValidity: string;
    readonly keyAlgorithms: readonly string[];
  };
  readonly nodes: readonly NodeEntitlements[];
  readonly nodeGroups: readonly GroupEntitlements[];
}

export function policyReport(config: Config, policy: Policy): PolicyReport {
  const { facts } = policy;
  const entitlements = policyEntitlements(policy);
  return {
    valid: true,
    cluster: {
      name: facts.clusterName,
      kubernetesVersion: facts.version.text,
      dnsDomain: facts.dnsDomain,
      serviceIp: facts.serviceIp,
      controlPlaneEndpoint: facts.controlPlaneEndpoint,
      etcd: facts.etcdLocal ? "stacked" : "external",
      cas: [...policy.configuredCas],
      leafValidity: config.validity.leaf,
      keyAlgorithms: config.keys.allowed,
    },
    nodes: entitlements.nodes,
    nodeGroups: entitlements.nodeGroups,
  };
}

const list = (xs: readonly string[]): string => (xs.length === 0 ? "none" : xs.join(", "));
const subject = (f: FileEntitlement): string => [`CN=${f.commonName}`, ...f.organizations.map((o) => `O=${o}`)].join(", ");
const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function fileTable(files: readonly FileEntitlement[]): string[] {
  const rows = [["FILE", "ISSUER", "EKU", "SUBJECT"], ...files.map((f) => [f.name, f.issuer, f.extKeyUsage.join(", "), subject(f)])];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => "  " + r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell)).join("   ").trimEnd());
}

function sanLines(files: readonly FileEntitlement[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    if (!f.sans) continue;
    const { required, allowed, wildcards, allowedCidrs, allowedDnsSuffixes } = f.sans;
    const extra = (kind: "dns" | "ip") => {
      const more = kind === "dns" ? allowedDnsSuffixes.map((s) => `any name under ${s}`) : allowedCidrs.map((c) => `any address in ${c}`);
      const exact = sameList(allowed[kind], required[kind]) ? "the required ones" : list(allowed[kind]);
      return more.length === 0 ? exact : `${exact}, ${more.join(", ")}`;
    };
    out.push(`  ${f.name} (${f.issuer}, ${f.extKeyUsage.join(" + ")})`);
    out.push(`    DNS required: ${list(required.dns)}`);
    out.push(`    DNS allowed:  ${extra("dns")}`);
    out.push(`    IP required:  ${list(required.ip)}`);
    out.push(`    IP allowed:   ${extra("ip")}`);
    if (wildcards.length > 0) out.push(`    wildcards (listed verbatim in certSANs): ${list(wildcards)}`);
  }
  return out;
}

function nodeSection(n: NodeEntitlements): string[] {
  const admin = n.superAdmin ? "; may receive super-admin.conf" : "";
  return [`node ${n.name} (${n.role}${admin})`, ...fileTable(n.files), ...sanLines(n.files)];
}

function groupSection(g: GroupEntitlements): string[] {
  const match = "namePattern" in g.match ? `names matching ${g.match.namePattern}` : `names ending with ${g.match.nameSuffix}`;
  return [
    `node group ${g.name} (${g.role}; ${match}; <node> is the member's name)`,
    `  allowed CIDRs: ${list(g.allowedCidrs)}`,
    `  allowed DNS suffixes: ${list(g.allowedDnsSuffixes)}`,
    ...fileTable(g.files),
    ...sanLines(g.files),
  ];
}

export function renderPolicyReport(source: string, report: PolicyReport): string {
  const c = report.cluster;
  const endpoint = [...c.controlPlaneEndpoint.dns, ...c.controlPlaneEndpoint.ip];
  const sections = [
    [`${source}: valid`],
    [
      `cluster ${c.name}: Kubernetes ${c.kubernetesVersion}, dnsDomain ${c.dnsDomain}, kubernetes Service IP ${c.serviceIp}`,
      `  controlPlaneEndpoint: ${endpoint.length > 0 ? endpoint.join(", ") : "not set"}`,
      `  etcd: ${c.etcd}; CAs: ${list(c.cas)}`,
      `  leaf validity: ${c.leafValidity}; key algorithms: ${list(c.keyAlgorithms)}`,
    ],
    ...report.nodes.map(nodeSection),
    ...report.nodeGroups.map(groupSection),
  ];
  return sections.map((s) => s.join("\n")).join("\n\n") + "\n";
}
