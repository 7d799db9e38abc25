// The nodes policy knows, compiled once: each listed node with its SAN rules, and each node group with
// its address ranges. A caller's node resolves to a listed node first, else to the first matching group;
// a group node's SAN rules are derived from its name on each request (a few small arrays).
import type { Config, NodeConfig } from "../config/index.js";
import { compileNodeLookup } from "../config/index.js";
import type { ClusterFacts, NodeSanRules } from "../kubeadm/index.js";
import { compileNodeSans } from "../kubeadm/index.js";
import { compileAddressRanges, type AddressRanges } from "./address-ranges.js";
import { superAdminNodes } from "./super-admin.js";

export interface PolicyNode {
  readonly name: string;
  readonly role: NodeConfig["role"];
  /** The group that admitted this node; undefined for a node listed under `nodes`. */
  readonly ranges: AddressRanges | undefined;
  /** May receive super-admin.conf (never a group node). */
  readonly superAdmin: boolean;
  readonly sans: NodeSanRules;
}

export interface CompiledGroup {
  readonly index: number;
  readonly config: Config["nodeGroups"][number];
  readonly ranges: AddressRanges;
}

export interface NodeRules {
  readonly listed: readonly PolicyNode[];
  readonly groups: readonly CompiledGroup[];
  resolve(name: string): PolicyNode | undefined;
}

/** A group member as compileNodeSans sees it: its name, no advertise address or extras of its own. */
export function groupMemberSans(facts: ClusterFacts, name: string, role: NodeConfig["role"]): NodeSanRules {
  return compileNodeSans(facts, { name, role, addresses: [], hostnames: [] });
}

export function compileNodeRules(config: Pick<Config, "nodes" | "nodeGroups">, facts: ClusterFacts): NodeRules {
  const lookup = compileNodeLookup(config);
  const admins = superAdminNodes(config.nodes);
  const listed = new Map<string, PolicyNode>(
    config.nodes.map((n) => [
      n.name,
      Object.freeze({ name: n.name, role: n.role, ranges: undefined, superAdmin: admins.has(n.name), sans: compileNodeSans(facts, n) }),
    ]),
  );
  const groups = config.nodeGroups.map((g, index) => Object.freeze({ index, config: g, ranges: compileAddressRanges(g, index) }));
  const rangesOf = new Map(groups.map((g) => [g.config, g.ranges] as const));

  return Object.freeze({
    listed: Object.freeze([...listed.values()]),
    groups: Object.freeze(groups),
    resolve(name: string): PolicyNode | undefined {
      const entry = lookup.find(name);
      if (entry === undefined) return undefined;
      if (entry.kind === "listed") return listed.get(entry.name);
      return { name, role: entry.role, ranges: rangesOf.get(entry.group), superAdmin: false, sans: groupMemberSans(facts, name, entry.role) };
    },
  });
}
