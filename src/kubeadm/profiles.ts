// The profile catalogue: one entry per file kubeadm asks an external CA to sign (spec §1.2, §1.4).
// The CSR carries no usages or validity (spec §2.1), so everything but subject, SANs and key comes from here.
import type { CaName } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import { versionAtLeast, type KubernetesVersion } from "./kubernetes-version.js";

export type ProfileName =
  | "apiserver"
  | "apiserver-kubelet-client"
  | "front-proxy-client"
  | "etcd/server"
  | "etcd/peer"
  | "etcd/healthcheck-client"
  | "apiserver-etcd-client"
  | "admin.conf"
  | "super-admin.conf"
  | "kubelet.conf"
  | "controller-manager.conf"
  | "scheduler.conf";

/** `pki`: `<pki>/<base>.crt`; `kubeconfig`: the client certificate embedded in `<kc>/<file>`. */
export type ProfileKind = "pki" | "kubeconfig";
export type ExtKeyUsage = "serverAuth" | "clientAuth";
/** Which SAN derivation of spec §1.3 applies; `none` means the CSR must carry no SANs. */
export type SanSet = "apiserver" | "etcd-server" | "etcd-peer" | "none";

/** The placeholder in `commonName` replaced by the caller's node name. */
export const NODE_PLACEHOLDER = "<node>";

export interface Profile {
  /** The `kubeadm certs generate-csr` name (base path for PKI files, file name for kubeconfigs). */
  readonly name: ProfileName;
  /** Other names kubeadm used for the same file: the legacy `--csr-only` / renew UX names (spec §2.3). */
  readonly aliases: readonly string[];
  readonly kind: ProfileKind;
  readonly issuer: CaName;
  readonly extKeyUsage: readonly ExtKeyUsage[];
  /** Exact CN; may contain `<node>` (etcd server/peer: `<node>`, kubelet.conf: `system:node:<node>`). */
  readonly commonName: string;
  /** Exact O list, order-insensitive. 1.29 changed several (spec §5). */
  readonly organizations: { readonly before1_29: readonly string[]; readonly from1_29: readonly string[] };
  readonly sanSet: SanSet;
  /** Only control-plane nodes hold it; kubelet.conf is the one file every node has. */
  readonly controlPlaneOnly: boolean;
  /** Signed by etcd-ca, which exists only with stacked etcd (spec §1.2). */
  readonly needsLocalEtcd: boolean;
  /** First Kubernetes minor that has this file (super-admin.conf: 1.29). */
  readonly since: { readonly major: number; readonly minor: number } | undefined;
}

// controlPlaneOnly and needsLocalEtcd follow from name and issuer; the rest defaults to "none".
type ProfileInput = Omit<Profile, "aliases" | "controlPlaneOnly" | "needsLocalEtcd" | "since" | "organizations"> &
  Partial<Pick<Profile, "aliases" | "since" | "organizations">>;

const none = { before1_29: [], from1_29: [] } as const;
const clusterAdmins = { before1_29: ["system:masters"], from1_29: ["kubeadm:cluster-admins"] } as const;
const mastersUntil1_29 = { before1_29: ["system:masters"], from1_29: [] } as const;

function profile(p: ProfileInput): Profile {
  return {
    ...p,
    aliases: p.aliases ?? [],
    organizations: p.organizations ?? none,
    controlPlaneOnly: p.name !== "kubelet.conf",
    needsLocalEtcd: p.issuer === "etcd-ca",
    since: p.since,
  };
}

const catalogue: readonly Profile[] = [
  profile({ name: "apiserver", kind: "pki", issuer: "ca", extKeyUsage: ["serverAuth"], commonName: "kube-apiserver", sanSet: "apiserver" }),
  profile({
    name: "apiserver-kubelet-client", kind: "pki", issuer: "ca", extKeyUsage: ["clientAuth"],
    commonName: "kube-apiserver-kubelet-client", organizations: clusterAdmins, sanSet: "none",
  }),
  profile({
    name: "front-proxy-client", kind: "pki", issuer: "front-proxy-ca", extKeyUsage: ["clientAuth"],
    commonName: "front-proxy-client", sanSet: "none",
  }),
  profile({
    name: "etcd/server", aliases: ["etcd-server"], kind: "pki", issuer: "etcd-ca",
    extKeyUsage: ["serverAuth", "clientAuth"], commonName: NODE_PLACEHOLDER, sanSet: "etcd-server",
  }),
  profile({
    name: "etcd/peer", aliases: ["etcd-peer"], kind: "pki", issuer: "etcd-ca",
    extKeyUsage: ["serverAuth", "clientAuth"], commonName: NODE_PLACEHOLDER, sanSet: "etcd-peer",
  }),
  profile({
    name: "etcd/healthcheck-client", aliases: ["etcd-healthcheck-client"], kind: "pki", issuer: "etcd-ca",
    extKeyUsage: ["clientAuth"], commonName: "kube-etcd-healthcheck-client", organizations: mastersUntil1_29, sanSet: "none",
  }),
  profile({
    name: "apiserver-etcd-client", kind: "pki", issuer: "etcd-ca", extKeyUsage: ["clientAuth"],
    commonName: "kube-apiserver-etcd-client", organizations: mastersUntil1_29, sanSet: "none",
  }),
  profile({
    name: "admin.conf", kind: "kubeconfig", issuer: "ca", extKeyUsage: ["clientAuth"],
    commonName: "kubernetes-admin", organizations: clusterAdmins, sanSet: "none",
  }),
  profile({
    name: "super-admin.conf", kind: "kubeconfig", issuer: "ca", extKeyUsage: ["clientAuth"],
    commonName: "kubernetes-super-admin", organizations: { before1_29: [], from1_29: ["system:masters"] },
    sanSet: "none", since: { major: 1, minor: 29 },
  }),
  profile({
    name: "kubelet.conf", kind: "kubeconfig", issuer: "ca", extKeyUsage: ["clientAuth"],
    commonName: `system:node:${NODE_PLACEHOLDER}`, organizations: { before1_29: ["system:nodes"], from1_29: ["system:nodes"] },
    sanSet: "none",
  }),
  profile({
    name: "controller-manager.conf", kind: "kubeconfig", issuer: "ca", extKeyUsage: ["clientAuth"],
    commonName: "system:kube-controller-manager", sanSet: "none",
  }),
  profile({
    name: "scheduler.conf", kind: "kubeconfig", issuer: "ca", extKeyUsage: ["clientAuth"],
    commonName: "system:kube-scheduler", sanSet: "none",
  }),
];

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Every profile, in the order of spec §1.2 then §1.4. */
export const PROFILES: readonly Profile[] = deepFreeze(catalogue);

const byName: ReadonlyMap<string, Profile> = new Map(
  PROFILES.flatMap((p) => [p.name, ...p.aliases].map((n) => [n, p] as const)),
);

/** Every name a caller may use (canonical and legacy), sorted: the detail of a 400 for an unknown name. */
export const KNOWN_PROFILE_NAMES: readonly string[] = Object.freeze([...byName.keys()].sort());

/** KNOWN_PROFILE_NAMES as a function, for callers that build the 400 detail themselves. */
export function profileNames(): readonly string[] {
  return KNOWN_PROFILE_NAMES;
}

/** The profile for a generate-csr or legacy `--csr-only` name; undefined when kubeadm has no such file. */
export function findProfile(name: string): Profile | undefined {
  return byName.get(name);
}

/** Like findProfile, but an unknown name is the caller's mistake (400) with the list of known names. */
export function requireProfile(name: string): Profile {
  const p = findProfile(name);
  if (p) return p;
  throw new KubecaError(
    "KUBECA_UNKNOWN_PROFILE",
    `"${name}" is not a file kubeadm asks an external CA to sign; known names: ${KNOWN_PROFILE_NAMES.join(", ")}`,
  );
}

/** The CN kubeadm writes for this node. */
export function expectedCommonName(p: Profile, node: string): string {
  return p.commonName.replaceAll(NODE_PLACEHOLDER, node);
}

/** The O list kubeadm of this version writes. */
export function expectedOrganizations(p: Profile, version: KubernetesVersion): readonly string[] {
  return versionAtLeast(version, 1, 29) ? p.organizations.from1_29 : p.organizations.before1_29;
}

/** Whether kubeadm of this version produces the file at all (super-admin.conf only from 1.29). */
export function profileExistsIn(p: Profile, version: KubernetesVersion): boolean {
  return p.since === undefined || versionAtLeast(version, p.since.major, p.since.minor);
}
