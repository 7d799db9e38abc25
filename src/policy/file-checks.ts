// May this caller have this file at all, in this cluster? These checks come before the CSR's content:
// when the answer is no, SAN and subject differences would only bury the reason.
import type { Caller } from "../auth/caller.js";
import type { CaName, NodeConfig } from "../config/index.js";
import type { ClusterFacts, Profile } from "../kubeadm/index.js";
import { profileExistsIn } from "../kubeadm/index.js";
import { violation, type PolicyViolation } from "./rules.js";

export type NodeLookup<N> =
  | { readonly ok: true; readonly node: N }
  | { readonly ok: false; readonly violations: readonly PolicyViolation[] };

/** What the gate needs to know about the node a file is for. */
export interface GateNode {
  readonly name: string;
  readonly role: NodeConfig["role"];
  readonly superAdmin: boolean;
}

/**
 * The node whose names the caller may ask for; auditors and unbound or unknown callers have none.
 * `resolve` finds listed nodes and group members; `hasGroups` only shapes the message.
 */
export function callerNode<N>(caller: Caller, resolve: (name: string) => N | undefined, hasGroups = false): NodeLookup<N> {
  if (caller.role === "auditor" || caller.role === "operator") {
    const does = caller.role === "auditor" ? "auditors read the audit log" : "operators drive the CA rotation";
    return { ok: false, violations: [violation("caller.role", "file-not-allowed-for-role", `${caller.subject} is an ${caller.role}: ${does} and are signed nothing`)] };
  }
  const node = caller.node === undefined ? undefined : resolve(caller.node);
  if (node === undefined) {
    const where = hasGroups ? "is not listed under nodes and matches no nodeGroups entry" : "is not listed under nodes";
    const which = caller.node === undefined ? "is bound to no node" : `is bound to node ${JSON.stringify(caller.node)}, which ${where}`;
    return { ok: false, violations: [violation("caller.node", "node-unknown", `${caller.subject} ${which}; add the node to the config`)] };
  }
  return { ok: true, node };
}

export function fileViolations(
  caller: Caller,
  node: GateNode,
  profile: Profile,
  facts: ClusterFacts,
  configuredCas: ReadonlySet<CaName>,
): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  // Both must say control-plane: the credential's role and the node's role in the config.
  if (profile.controlPlaneOnly && (caller.role !== "control-plane" || node.role !== "control-plane")) {
    out.push(violation("name", "file-not-allowed-for-role",
      `${profile.name} is signed only for control-plane nodes; ${node.name} (${caller.role === "control-plane" ? node.role : caller.role}) may request only kubelet.conf`));
  }
  const exists = profileExistsIn(profile, facts.version);
  if (!exists) {
    out.push(violation("name", "file-not-for-this-version",
      `${profile.name} exists only from Kubernetes ${profile.since?.major}.${profile.since?.minor}; this cluster runs ${facts.version.text}`));
  }
  // Only worth saying when the node could otherwise have it: a worker already heard about its role.
  if (profile.name === "super-admin.conf" && exists && out.length === 0 && !node.superAdmin) {
    out.push(violation("name", "super-admin-not-allowed",
      `super-admin.conf is signed only for nodes the config allows it (superAdmin: true; by default the first control-plane node under nodes, where kubeadm init ran); ${node.name} is not one of them`));
  }
  if (profile.needsLocalEtcd && !facts.etcdLocal) {
    out.push(violation("name", "etcd-not-local",
      `${profile.name} is signed by etcd-ca, which kubeadm uses only for stacked etcd; this cluster's etcd is external (cluster.etcd.local: false)`));
  } else if (!configuredCas.has(profile.issuer)) {
    out.push(violation("name", "issuer-not-configured", `${profile.name} is signed by ${profile.issuer}, which is not configured under cas`));
  }
  return out;
}
