// What each node and node group may receive, derived from the compiled policy with the same gate and SAN
// rules evaluate() applies, so `kubeca policy check` shows what the service will actually sign.
import type { Caller } from "../auth/caller.js";
import type { CaName, NodeConfig, NodeGroupConfig } from "../config/index.js";
import {
  NODE_PLACEHOLDER,
  PROFILES,
  expectedCommonName,
  expectedOrganizations,
  type ExtKeyUsage,
  type NodeSanRules,
  type ProfileName,
  type SanNames,
} from "../kubeadm/index.js";
import type { Policy } from "./evaluate.js";
import { fileViolations, type GateNode } from "./file-checks.js";
import { groupMemberSans } from "./node-rules.js";

export interface ServingSans {
  readonly required: SanNames;
  /** Exactly these, plus (group nodes) anything in allowedCidrs / under allowedDnsSuffixes. */
  readonly allowed: SanNames;
  /** Wildcards signed only because certSANs lists them verbatim. */
  readonly wildcards: readonly string[];
  readonly allowedCidrs: readonly string[];
  readonly allowedDnsSuffixes: readonly string[];
}

export interface FileEntitlement {
  readonly name: ProfileName;
  readonly issuer: CaName;
  readonly extKeyUsage: readonly ExtKeyUsage[];
  readonly commonName: string;
  readonly organizations: readonly string[];
  /** Server certificates only (apiserver, etcd/server, etcd/peer). */
  readonly sans?: ServingSans;
}

export interface NodeEntitlements {
  readonly name: string;
  readonly role: NodeConfig["role"];
  readonly superAdmin: boolean;
  readonly files: readonly FileEntitlement[];
}

export interface GroupEntitlements {
  readonly name: string;
  readonly role: NodeGroupConfig["role"];
  readonly match: { readonly namePattern: string } | { readonly nameSuffix: string };
  readonly allowedCidrs: readonly string[];
  readonly allowedDnsSuffixes: readonly string[];
  /** `<node>` stands for the member's name. */
  readonly files: readonly FileEntitlement[];
}

export interface PolicyEntitlements {
  readonly nodes: readonly NodeEntitlements[];
  readonly nodeGroups: readonly GroupEntitlements[];
}

const NO_RANGES = { cidrs: [] as readonly string[], dnsSuffixes: [] as readonly string[] };

function filesFor(
  policy: Policy,
  node: GateNode,
  sans: NodeSanRules,
  ranges: { readonly cidrs: readonly string[]; readonly dnsSuffixes: readonly string[] },
): FileEntitlement[] {
  // The credential's role matches the node's here: the question is what the node may have.
  const caller: Caller = { method: "token", subject: node.name, node: node.name, role: node.role };
  return PROFILES.filter((p) => fileViolations(caller, node, p, policy.facts, policy.configuredCas).length === 0).map((p) => {
    const rule = p.sanSet === "none" ? undefined : sans[p.sanSet];
    return {
      name: p.name,
      issuer: p.issuer,
      extKeyUsage: p.extKeyUsage,
      commonName: expectedCommonName(p, node.name),
      organizations: expectedOrganizations(p, policy.facts.version),
      ...(rule
        ? {
            sans: {
              required: rule.required,
              allowed: rule.allowed,
              wildcards: rule.wildcards,
              allowedCidrs: ranges.cidrs,
              allowedDnsSuffixes: ranges.dnsSuffixes,
            },
          }
        : {}),
    };
  });
}

export function policyEntitlements(policy: Policy): PolicyEntitlements {
  const nodes = policy.nodes.listed.map((n) => ({
    name: n.name,
    role: n.role,
    superAdmin: n.superAdmin,
    files: filesFor(policy, n, n.sans, NO_RANGES),
  }));
  const nodeGroups = policy.nodes.groups.map(({ config: g, ranges }) => {
    const member: GateNode = { name: NODE_PLACEHOLDER, role: g.role, superAdmin: false };
    return {
      name: g.name,
      role: g.role,
      match: g.namePattern !== undefined ? { namePattern: g.namePattern } : { nameSuffix: g.nameSuffix ?? "" },
      allowedCidrs: ranges.cidrs,
      allowedDnsSuffixes: ranges.dnsSuffixes,
      files: filesFor(policy, member, groupMemberSans(policy.facts, NODE_PLACEHOLDER, g.role), ranges),
    };
  });
  return { nodes, nodeGroups };
}
