// Writes what `kubeadm certs generate-csr` (or the legacy `--csr-only`) leaves on a node, file for file:
// <pki>/<base>.key (PKCS#1 / SEC1 PEM, 0600) and <base>.csr (0600), etcd/ created 0755; for kubeconfigs a
// partial <kc>/<file> (0600: server filled, certificate-authority-data and client-certificate-data empty,
// client-key-data set) and <kc>/<file>.csr. Subjects and SANs are the test vectors of spec §6
// (node cp-1, 10.0.0.10, controlPlaneEndpoint k8s.example.internal). CSRs are made by `openssl req`.
import { generateKeyPair, type KeyObject } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { openssl, withTempFiles } from "./openssl.js";

export const SPEC_NODE = {
  name: "cp-1",
  advertiseAddress: "10.0.0.10",
  controlPlaneEndpoint: "k8s.example.internal",
  port: 6443,
  clusterName: "kubernetes",
} as const;

export type CaName = "ca" | "etcd-ca" | "front-proxy-ca";

export interface SpecFile {
  /** generate-csr name: `apiserver`, `etcd/server`, `admin.conf`. */
  readonly name: string;
  /** kubeadm's UX / legacy --csr-only name: `etcd-server`. */
  readonly legacyName: string;
  readonly kind: "pki" | "kubeconfig";
  readonly issuer: CaName;
  readonly cn: string;
  /** kubeadm ≥ 1.29 values. */
  readonly o: readonly string[];
  readonly dns: readonly string[];
  readonly ips: readonly string[];
  readonly eku: readonly ("serverAuth" | "clientAuth")[];
  /** kubeconfigs: the cluster's server. */
  readonly server?: string;
}

const publicServer = `https://${SPEC_NODE.controlPlaneEndpoint}:${SPEC_NODE.port}`;
const localServer = `https://${SPEC_NODE.advertiseAddress}:${SPEC_NODE.port}`;
const etcdDns = [SPEC_NODE.name, "localhost"];
const etcdIps = [SPEC_NODE.advertiseAddress, "127.0.0.1", "::1"];

/** Spec §6, row for row. */
export const SPEC_FILES: readonly SpecFile[] = [
  { name: "apiserver", legacyName: "apiserver", kind: "pki", issuer: "ca", cn: "kube-apiserver", o: [],
    dns: [SPEC_NODE.name, SPEC_NODE.controlPlaneEndpoint, "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
    ips: ["10.96.0.1", SPEC_NODE.advertiseAddress], eku: ["serverAuth"] },
  { name: "apiserver-kubelet-client", legacyName: "apiserver-kubelet-client", kind: "pki", issuer: "ca", cn: "kube-apiserver-kubelet-client", o: ["kubeadm:cluster-admins"], dns: [], ips: [], eku: ["clientAuth"] },
  { name: "front-proxy-client", legacyName: "front-proxy-client", kind: "pki", issuer: "front-proxy-ca", cn: "front-proxy-client", o: [], dns: [], ips: [], eku: ["clientAuth"] },
  { name: "etcd/server", legacyName: "etcd-server", kind: "pki", issuer: "etcd-ca", cn: SPEC_NODE.name, o: [], dns: etcdDns, ips: etcdIps, eku: ["serverAuth", "clientAuth"] },
  { name: "etcd/peer", legacyName: "etcd-peer", kind: "pki", issuer: "etcd-ca", cn: SPEC_NODE.name, o: [], dns: etcdDns, ips: etcdIps, eku: ["serverAuth", "clientAuth"] },
  { name: "etcd/healthcheck-client", legacyName: "etcd-healthcheck-client", kind: "pki", issuer: "etcd-ca", cn: "kube-etcd-healthcheck-client", o: [], dns: [], ips: [], eku: ["clientAuth"] },
  { name: "apiserver-etcd-client", legacyName: "apiserver-etcd-client", kind: "pki", issuer: "etcd-ca", cn: "kube-apiserver-etcd-client", o: [], dns: [], ips: [], eku: ["clientAuth"] },
  { name: "admin.conf", legacyName: "admin.conf", kind: "kubeconfig", issuer: "ca", cn: "kubernetes-admin", o: ["kubeadm:cluster-admins"], dns: [], ips: [], eku: ["clientAuth"], server: publicServer },
  { name: "super-admin.conf", legacyName: "super-admin.conf", kind: "kubeconfig", issuer: "ca", cn: "kubernetes-super-admin", o: ["system:masters"], dns: [], ips: [], eku: ["clientAuth"], server: publicServer },
  { name: "kubelet.conf", legacyName: "kubelet.conf", kind: "kubeconfig", issuer: "ca", cn: `system:node:${SPEC_NODE.name}`, o: ["system:nodes"], dns: [], ips: [], eku: ["clientAuth"], server: publicServer },
  { name: "controller-manager.conf", legacyName: "controller-manager.conf", kind: "kubeconfig", issuer: "ca", cn: "system:kube-controller-manager", o: [], dns: [], ips: [], eku: ["clientAuth"], server: localServer },
  { name: "scheduler.conf", legacyName: "scheduler.conf", kind: "kubeconfig", issuer: "ca", cn: "system:kube-scheduler", o: [], dns: [], ips: [], eku: ["clientAuth"], server: localServer },
];

export function specFile(name: string): SpecFile {
  const f = SPEC_FILES.find((s) => s.name === name || s.legacyName === name);
  if (!f) throw new Error(`no spec file ${name}`);
  return f;
}

export type LayoutKeyAlgorithm = "RSA-2048" | "ECDSA-P256";

export interface WrittenFile {
  readonly spec: SpecFile;
  readonly csrPath: string;
  /** `.key` file; for generate-csr kubeconfigs the key is inside `kubeconfigPath`. */
  readonly keyPath: string | undefined;
  readonly kubeconfigPath: string | undefined;
  readonly keyPem: string;
  readonly csrPem: string;
}

const generate = promisify(generateKeyPair);

/** A kubeadm-style private key PEM: `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY` (SEC1). */
export async function kubeadmKey(algorithm: LayoutKeyAlgorithm): Promise<string> {
  const { privateKey } =
    algorithm === "RSA-2048" ? await generate("rsa", { modulusLength: 2048 }) : await generate("ec", { namedCurve: "P-256" });
  return (privateKey as KeyObject).export({ format: "pem", type: algorithm === "RSA-2048" ? "pkcs1" : "sec1" }).toString();
}

/** A CSR as pkiutil.NewCSR makes it: subject O then CN (Go's order), SANs only when there are some. */
export async function kubeadmCsr(spec: SpecFile, keyPem: string, subject?: { cn?: string; o?: readonly string[] }): Promise<string> {
  const cn = subject?.cn ?? spec.cn;
  const o = subject?.o ?? spec.o;
  const subj = [...o.map((v) => `/O=${v}`), `/CN=${cn}`].join("");
  const sans = [...spec.dns.map((d) => `DNS:${d}`), ...spec.ips.map((i) => `IP:${i}`)].join(",");
  return withTempFiles({ "key.pem": keyPem }, async (p) => {
    const r = await openssl(["req", "-new", "-key", p["key.pem"]!, "-subj", subj, "-sha256", ...(sans ? ["-addext", `subjectAltName=${sans}`] : [])]);
    if (r.code !== 0) throw new Error(`openssl req failed for ${spec.name}: ${r.stderr}`);
    return r.stdout;
  });
}

export interface KubeconfigTextOptions {
  readonly server: string;
  readonly user: string;
  readonly keyPem: string;
  readonly certificatePem?: string;
  readonly caPem?: string;
  /** generate-csr's empty fields: written as "" (default) or left out. */
  readonly emptyFields?: "empty" | "absent";
}

/** A kubeconfig laid out as client-go's clientcmd writes it (keys sorted, one cluster, user, context). */
export function kubeconfigText(o: KubeconfigTextOptions): string {
  const b64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s).toString("base64"));
  const field = (key: string, value: string | undefined) =>
    value !== undefined ? `${key}: ${value}` : o.emptyFields === "absent" ? undefined : `${key}: ""`;
  const context = `${o.user}@${SPEC_NODE.clusterName}`;
  return [
    "apiVersion: v1",
    "clusters:",
    "- cluster:",
    field("    certificate-authority-data", b64(o.caPem)),
    `    server: ${o.server}`,
    `  name: ${SPEC_NODE.clusterName}`,
    "contexts:",
    "- context:",
    `    cluster: ${SPEC_NODE.clusterName}`,
    `    user: ${o.user}`,
    `  name: ${context}`,
    `current-context: ${context}`,
    "kind: Config",
    "preferences: {}",
    "users:",
    `- name: ${o.user}`,
    "  user:",
    field("    client-certificate-data", b64(o.certificatePem)),
    `    client-key-data: ${b64(o.keyPem)}`,
    "",
  ]
    .filter((l): l is string => l !== undefined)
    .join("\n");
}

async function writeWithMode(path: string, content: string, mode: number): Promise<void> {
  await writeFile(path, content, { mode, flag: "wx" });
  await chmod(path, mode);
}

async function mkdirWithMode(path: string, mode: number): Promise<void> {
  await mkdir(path, { recursive: true });
  await chmod(path, mode);
}

export interface GenerateCsrLayoutOptions {
  readonly certDir: string;
  readonly kubeconfigDir: string;
  /** kubeadm's default is RSA-2048; ECDSA-P256 makes tests faster. */
  readonly keyAlgorithm?: LayoutKeyAlgorithm;
  /** A subset of SPEC_FILES names; all by default. */
  readonly names?: readonly string[];
  readonly emptyFields?: "empty" | "absent";
}

/** `kubeadm certs generate-csr --cert-dir <certDir> --kubeconfig-dir <kubeconfigDir>`. */
export async function writeGenerateCsrLayout(o: GenerateCsrLayoutOptions): Promise<WrittenFile[]> {
  const chosen = SPEC_FILES.filter((s) => !o.names || o.names.includes(s.name));
  await mkdirWithMode(o.certDir, 0o755);
  await mkdirWithMode(o.kubeconfigDir, 0o755);
  return Promise.all(
    chosen.map(async (spec): Promise<WrittenFile> => {
      const keyPem = await kubeadmKey(o.keyAlgorithm ?? "RSA-2048");
      const csrPem = await kubeadmCsr(spec, keyPem);
      if (spec.kind === "pki") {
        const keyPath = join(o.certDir, `${spec.name}.key`);
        const csrPath = join(o.certDir, `${spec.name}.csr`);
        await mkdirWithMode(dirname(keyPath), 0o755);
        await writeWithMode(keyPath, keyPem, 0o600);
        await writeWithMode(csrPath, csrPem, 0o600);
        return { spec, csrPath, keyPath, kubeconfigPath: undefined, keyPem, csrPem };
      }
      const kubeconfigPath = join(o.kubeconfigDir, spec.name);
      const csrPath = `${kubeconfigPath}.csr`;
      await writeWithMode(kubeconfigPath, kubeconfigText({ server: spec.server!, user: spec.cn, keyPem, ...(o.emptyFields ? { emptyFields: o.emptyFields } : {}) }), 0o600);
      await writeWithMode(csrPath, csrPem, 0o600);
      return { spec, csrPath, keyPath: undefined, kubeconfigPath, keyPem, csrPem };
    }),
  );
}

export interface LegacyLayoutOptions {
  readonly csrDir: string;
  readonly keyAlgorithm?: LayoutKeyAlgorithm;
  /** Legacy (UX) names; default every file the legacy renew knew (no super-admin.conf, no kubelet.conf). */
  readonly names?: readonly string[];
}

/** `kubeadm certs renew <name> --csr-only --csr-dir <csrDir>` for each name: flat <name>.key + <name>.csr. */
export async function writeLegacyCsrLayout(o: LegacyLayoutOptions): Promise<WrittenFile[]> {
  const defaults = SPEC_FILES.filter((s) => s.name !== "super-admin.conf" && s.name !== "kubelet.conf").map((s) => s.legacyName);
  const chosen = (o.names ?? defaults).map(specFile);
  await mkdirWithMode(o.csrDir, 0o700);
  return Promise.all(
    chosen.map(async (spec): Promise<WrittenFile> => {
      const keyPem = await kubeadmKey(o.keyAlgorithm ?? "RSA-2048");
      const csrPem = await kubeadmCsr(spec, keyPem);
      const keyPath = join(o.csrDir, `${spec.legacyName}.key`);
      const csrPath = join(o.csrDir, `${spec.legacyName}.csr`);
      await writeWithMode(keyPath, keyPem, 0o600);
      await writeWithMode(csrPath, csrPem, 0o600);
      return { spec, csrPath, keyPath, kubeconfigPath: undefined, keyPem, csrPem };
    }),
  );
}
