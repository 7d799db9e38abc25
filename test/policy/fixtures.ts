// The cluster of spec §6 as a kubeca config, callers, and the §6 table as CSR modifiers.
// The expected subjects and SANs are written out from the spec, not derived from src/kubeadm.
import assert from "node:assert/strict";
import type { Caller } from "../../src/auth/caller.js";
import { parseConfig, type Config } from "../../src/config/index.js";
import { requireProfile } from "../../src/kubeadm/index.js";
import { compilePolicy, type Decision, type PolicyViolation } from "../../src/policy/index.js";
import { buildCsr, cn, dns, ips, org, type CsrMod } from "./parsed-csr.js";

type Raw = Record<string, any>;
export type ConfigMod = (raw: Raw) => void;

const pem = "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n";
const ca = () => ({ certificate: { pem }, signer: { type: "memory" } });

export const version = (v: string): ConfigMod => (r) => { r.cluster.kubernetesVersion = v; };
export const cluster = (fields: Raw): ConfigMod => (r) => { Object.assign(r.cluster, fields); };
export const etcd = (fields: Raw): ConfigMod => (r) => { Object.assign(r.cluster.etcd, fields); };
export const keysAllowed = (...names: string[]): ConfigMod => (r) => { r.keys = { allowed: names }; };
export const withoutCa = (name: string): ConfigMod => (r) => { delete r.cas[name]; };
export const nodeExtras = (name: string, fields: Raw): ConfigMod => (r) => {
  Object.assign(r.nodes.find((n: Raw) => n.name === name), fields);
};

/** node cp-1 (adv 10.0.0.10), cp-2 (10.0.0.11), worker-1; 10.96.0.0/12; cluster.local; stacked etcd; 1.31. */
export function testConfig(...mods: ConfigMod[]): Config {
  const raw: Raw = {
    apiVersion: "kubeca.dev/v1alpha1",
    kind: "Config",
    cluster: {
      name: "kubernetes",
      kubernetesVersion: "1.31",
      dnsDomain: "cluster.local",
      serviceSubnet: "10.96.0.0/12",
      controlPlaneEndpoint: "k8s.example.internal:6443",
      etcd: { local: true },
    },
    cas: { ca: ca(), "etcd-ca": ca(), "front-proxy-ca": ca() },
    nodes: [
      { name: "cp-1", role: "control-plane", advertiseAddress: "10.0.0.10" },
      { name: "cp-2", role: "control-plane", advertiseAddress: "10.0.0.11" },
      { name: "worker-1", role: "worker" },
    ],
  };
  for (const m of mods) m(raw);
  return parseConfig(raw, "test config");
}

export const controlPlane = (node = "cp-1"): Caller => ({ method: "token", subject: `${node}-token`, node, role: "control-plane" });
export const worker = (node = "worker-1"): Caller => ({ method: "token", subject: `${node}-token`, node, role: "worker" });
export const auditor = (): Caller => ({ method: "aws-iam", subject: "arn:aws:iam::123456789012:role/audit", node: undefined, role: "auditor" });

/** Spec §6, kubeadm ≥1.29, node cp-1: the subject and SANs of every file, DNS in kubeadm's sorted order. */
export const SECTION_6: Readonly<Record<string, readonly CsrMod[]>> = {
  apiserver: [
    cn("kube-apiserver"),
    dns("cp-1", "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"),
    ips("10.96.0.1", "10.0.0.10"),
  ],
  "apiserver-kubelet-client": [cn("kube-apiserver-kubelet-client"), org("kubeadm:cluster-admins")],
  "front-proxy-client": [cn("front-proxy-client")],
  "etcd/server": [cn("cp-1"), dns("cp-1", "localhost"), ips("10.0.0.10", "127.0.0.1", "::1")],
  "etcd/peer": [cn("cp-1"), dns("cp-1", "localhost"), ips("10.0.0.10", "127.0.0.1", "::1")],
  "etcd/healthcheck-client": [cn("kube-etcd-healthcheck-client")],
  "apiserver-etcd-client": [cn("kube-apiserver-etcd-client")],
  "admin.conf": [cn("kubernetes-admin"), org("kubeadm:cluster-admins")],
  "super-admin.conf": [cn("kubernetes-super-admin"), org("system:masters")],
  "kubelet.conf": [cn("system:node:cp-1"), org("system:nodes")],
  "controller-manager.conf": [cn("system:kube-controller-manager")],
  "scheduler.conf": [cn("system:kube-scheduler")],
};

/** Before 1.29 (spec §1.2, §1.4, §5): the O values that changed; super-admin.conf did not exist. */
export const BEFORE_1_29_O: Readonly<Record<string, readonly string[]>> = {
  "apiserver-kubelet-client": ["system:masters"],
  "etcd/healthcheck-client": ["system:masters"],
  "apiserver-etcd-client": ["system:masters"],
  "admin.conf": ["system:masters"],
};

/** The §6 CSR for a file, with further modifiers applied after the table's. */
export function section6Csr(file: string, ...mods: CsrMod[]) {
  const base = SECTION_6[file];
  assert.ok(base, `no §6 row for ${file}`);
  return buildCsr(...base, ...mods);
}

/** Evaluate one request against a freshly compiled policy. */
export function decide(config: Config, caller: Caller, file: string, csr = section6Csr(file)): Decision {
  return compilePolicy(config).evaluate({ caller, profile: requireProfile(file), csr });
}

/** The violations of a refusal as `rule field` lines (message checked separately where it matters). */
export function refusals(d: Decision): string[] {
  assert.equal(d.allow, false, "expected a refusal, got an allow");
  return (d as { violations: readonly PolicyViolation[] }).violations.map((v) => `${v.rule} ${v.field}`);
}

export function messages(d: Decision): string[] {
  assert.equal(d.allow, false, "expected a refusal, got an allow");
  return (d as { violations: readonly PolicyViolation[] }).violations.map((v) => v.message);
}

export function assertAllowed(d: Decision): asserts d is Extract<Decision, { allow: true }> {
  if (!d.allow) assert.fail(`expected an allow, got:\n  ${d.violations.map((v) => `${v.rule} ${v.field}: ${v.message}`).join("\n  ")}`);
}
