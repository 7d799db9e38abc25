// What the config says about a node name: listed one by one under `nodes`, or a member of a node group.
// Policy resolves a Caller's node with it; authenticators that map an identity to a node name (IAM
// sessions) use it for the role. A listed node always wins; among groups the first match wins.
import type { Config, NodeConfig, NodeGroupConfig } from "./schema.js";

export type NodeEntry =
  | { readonly kind: "listed"; readonly name: string; readonly role: NodeConfig["role"]; readonly node: NodeConfig }
  | { readonly kind: "group"; readonly name: string; readonly role: NodeGroupConfig["role"]; readonly group: NodeGroupConfig };

export interface NodeLookup {
  /** The config's entry for this node name, or undefined when it is neither listed nor in a group. */
  find(name: string): NodeEntry | undefined;
}

/** A name a group may admit: an RFC 1123 subdomain, as Kubernetes requires of Node names (≤ 253). */
const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** `ip-10-0-*.ec2.internal` → /^ip-10-0-[a-z0-9-]*\.ec2\.internal$/: `*` never crosses a dot. */
export function namePatternRegExp(pattern: string): RegExp {
  const body = pattern
    .toLowerCase()
    .split("*")
    .map((part) => part.replace(/[.]/g, "\\.").replace(/-/g, "\\-"))
    .join("[a-z0-9-]*");
  return new RegExp(`^${body}$`);
}

function groupMatcher(group: NodeGroupConfig): (name: string) => boolean {
  if (group.namePattern !== undefined) {
    const re = namePatternRegExp(group.namePattern);
    return (name) => re.test(name);
  }
  const suffix = (group.nameSuffix ?? "").toLowerCase();
  return (name) => name.length > suffix.length && name.endsWith(suffix);
}

export function compileNodeLookup(config: Pick<Config, "nodes" | "nodeGroups">): NodeLookup {
  const listed = new Map(config.nodes.map((n) => [n.name, n] as const));
  const groups = config.nodeGroups.map((g) => ({ group: g, matches: groupMatcher(g) }));
  return Object.freeze({
    find(name: string): NodeEntry | undefined {
      const node = listed.get(name);
      if (node) return { kind: "listed", name, role: node.role, node };
      // Group members become CNs (system:node:<name>, etcd's <name>): only well-formed names qualify.
      if (name.length > 253 || !NODE_NAME.test(name)) return undefined;
      const hit = groups.find((g) => g.matches(name));
      return hit && { kind: "group", name, role: hit.group.role, group: hit.group };
    },
  });
}
