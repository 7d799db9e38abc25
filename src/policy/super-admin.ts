// Who may receive super-admin.conf. kubeadm writes it only on the node where `kubeadm init` ran (spec
// §1.4): a break-glass credential in group system:masters, which no RBAC rule can take away. So one node,
// not every control-plane node, gets it unless the config says otherwise:
// - no node sets `superAdmin`: the first control-plane node under `nodes` (list the init node first);
// - any node sets it: exactly the nodes with `superAdmin: true` (so `false` on the first one means none).
// Node groups never get it: a fleet member is by definition not the one init node.
import type { NodeConfig } from "../config/index.js";

export function superAdminNodes(nodes: readonly NodeConfig[]): ReadonlySet<string> {
  const explicit = nodes.some((n) => n.superAdmin !== undefined);
  if (explicit) return new Set(nodes.filter((n) => n.superAdmin === true && n.role === "control-plane").map((n) => n.name));
  const first = nodes.find((n) => n.role === "control-plane");
  return new Set(first ? [first.name] : []);
}
