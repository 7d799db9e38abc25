// What a node must trust, following the service's CA rotation (docs/ca-rotation.md), as file writes
// that go into the same crash-safe install as the certificates:
//   - each CA file (ca.crt, etcd/ca.crt, front-proxy-ca.crt) becomes the service's bundle, with the CA
//     that issued this node's leaves first: kubeadm reads only the first certificate of ca.crt and
//     checks apiserver.crt (and the others) against it;
//   - every kubeadm kubeconfig on the node gets certificate-authority-data = the same bytes as ca.crt
//     (kubeadm compared them byte for byte before 1.30);
//   - kube-controller-manager's --client-ca-file must stay one certificate (the task page "Manual
//     Rotation of CA Certificates"): while ca.crt is a bundle it points at kubeca-kcm-client-ca.crt,
//     which holds ca.crt's first certificate; once ca.crt is single again it points back at ca.crt.
// A CA file is never changed so that a leaf on the node would stop chaining to it (fail closed).
import { createHash, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { AuditTrustReportCa } from "../audit/types.js";
import { CaName, type RotationPhase } from "../config/index.js";
import type { CaSummary } from "../issuance/types.js";
import { PROFILES, type Profile } from "../kubeadm/index.js";
import { MODES, type FileWrite } from "./install-plan.js";
import { fillKubeconfigAuthority, readKubeconfig } from "./kubeconfig-file.js";
import { caCertPath, targetPath, type NodeDirs } from "./node-paths.js";
import { parseCertificates } from "./node-cas.js";
import type { StaticPod } from "./restart-plan.js";

/** The single-certificate copy of ca.crt for kube-controller-manager's --client-ca-file. */
export const KCM_CLIENT_CA_FILE = "kubeca-kcm-client-ca.crt";
export const KCM_MANIFEST = "kube-controller-manager.yaml";

/** For each CA, the leaf whose issuer kubeadm checks against the first certificate of the CA file. */
const KUBEADM_CHECKED: Readonly<Record<CaName, string>> = { ca: "apiserver", "etcd-ca": "etcd/server", "front-proxy-ca": "front-proxy-client" };

/** What the service says one CA's trust is. */
export interface ServiceTrust {
  readonly name: CaName;
  readonly signing: X509Certificate;
  /** The bundle, signing CA first. */
  readonly trusted: readonly X509Certificate[];
  readonly phase: RotationPhase | undefined;
}

export function serviceTrust(summaries: readonly CaSummary[]): Map<CaName, ServiceTrust> {
  const out = new Map<CaName, ServiceTrust>();
  for (const s of summaries) {
    const signing = parseCertificates(s.certificate)[0];
    if (!signing) continue;
    // An older service answers without a bundle: its one CA is the bundle.
    const trusted = s.bundle ? parseCertificates(s.bundle) : [signing];
    out.set(s.name, { name: s.name, signing, trusted: trusted.length > 0 ? trusted : [signing], phase: s.rotation?.phase });
  }
  return out;
}

export function sha256Of(cert: X509Certificate): string {
  return createHash("sha256").update(cert.raw).digest("hex");
}

function same(a: X509Certificate, b: X509Certificate): boolean {
  return a.raw.equals(b.raw);
}

function sameList(a: readonly X509Certificate[], b: readonly X509Certificate[]): boolean {
  return a.length === b.length && a.every((c, i) => same(c, b[i]!));
}

/** Whether two CA certificates are the same CA: same subject and same key. */
export function sameCa(a: X509Certificate, b: X509Certificate): boolean {
  const der = (c: X509Certificate) => c.publicKey.export({ format: "der", type: "spki" });
  return a.subject === b.subject && der(a).equals(der(b));
}

/** The certificate among `cas` that issued `leaf` (issuer name and signature), if any. */
export function issuerAmong(leaf: X509Certificate, cas: readonly X509Certificate[]): X509Certificate | undefined {
  return cas.find((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
}

/** One certificate on the node, by kubeadm file name. */
export interface NodeLeaf {
  readonly file: string;
  readonly issuerCa: CaName;
  readonly certificate: X509Certificate;
}

/**
 * The leaves on the node now: every kubeadm PKI file and kubeconfig client certificate that exists,
 * and the kubelet's own client and serving certificates when readable (`kubeletPkiDir`).
 */
export async function readNodeLeaves(dirs: NodeDirs, kubeletPkiDir: string | undefined): Promise<NodeLeaf[]> {
  const out: NodeLeaf[] = [];
  const first = (pem: string | undefined) => (pem ? parseCertificates(pem)[0] : undefined);
  for (const p of PROFILES) {
    const text = await readFile(targetPath(dirs, p), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    let cert: X509Certificate | undefined;
    try {
      if (p.kind === "pki") cert = first(text);
      else {
        const view = readKubeconfig(text);
        cert = first(view.clientCertificatePem ?? (view.clientCertificateFile ? await readFile(view.clientCertificateFile, "utf8").catch(() => undefined) : undefined));
      }
    } catch {
      cert = undefined; // an unreadable file is reported by renew's own checks, not here
    }
    if (cert) out.push({ file: p.name, issuerCa: p.issuer, certificate: cert });
  }
  if (kubeletPkiDir) {
    const serving = first(await readFile(join(kubeletPkiDir, "kubelet-server-current.pem"), "utf8").catch(() => undefined));
    if (serving) out.push({ file: "kubelet-serving", issuerCa: "ca", certificate: serving });
  }
  return out;
}

export interface TrustPlanInput {
  readonly dirs: NodeDirs;
  /** The kubelet's static pod folder; the controller-manager manifest is edited there when present. */
  readonly manifestDir: string | undefined;
  readonly service: ReadonlyMap<CaName, ServiceTrust>;
  /** The node's CA files as they are now (parsed; empty when missing). */
  readonly nodeFiles: ReadonlyMap<CaName, { readonly path: string; readonly pem: string | undefined; readonly certificates: readonly X509Certificate[] }>;
  /** Leaves after this install: the node's, with the ones being installed now in their place. */
  readonly leaves: readonly NodeLeaf[];
  /** Kubeconfigs this install writes anyway (they embed `caPem` already). */
  readonly kubeconfigsWritten: ReadonlySet<string>;
}

export interface TrustPlan {
  readonly writes: readonly FileWrite[];
  /** ca.crt as it will be after the install: what kubeconfigs must embed. */
  readonly clusterCaPem: string | undefined;
  /** CAs whose file changes, and the components that read them only at start. */
  readonly changedCas: readonly CaName[];
  readonly restart: readonly StaticPod[];
  readonly restartKubelet: boolean;
  /** Why a CA file was left as it is although the service's bundle differs. */
  readonly refused: readonly string[];
}

/** Readers of each CA file that load it only at start (kube-apiserver reloads --client-ca-file, but not --etcd-cafile). */
const CA_READERS: Readonly<Record<CaName, { pods: StaticPod[]; kubelet: boolean }>> = {
  ca: { pods: ["kube-apiserver", "kube-controller-manager"], kubelet: true },
  "etcd-ca": { pods: ["etcd", "kube-apiserver"], kubelet: false },
  "front-proxy-ca": { pods: ["kube-apiserver", "kube-controller-manager"], kubelet: false },
};
const KUBECONFIG_READERS: Readonly<Record<string, StaticPod | "kubelet" | undefined>> = {
  "controller-manager.conf": "kube-controller-manager",
  "scheduler.conf": "kube-scheduler",
  "kubelet.conf": "kubelet",
};

/** The bundle in the order this node needs: the issuer of its kubeadm-checked leaf first. */
export function orderBundle(trust: ServiceTrust, leaves: readonly NodeLeaf[]): X509Certificate[] {
  const checked = leaves.find((l) => l.file === KUBEADM_CHECKED[trust.name]);
  const issuer = checked && issuerAmong(checked.certificate, trust.trusted);
  const head = issuer ?? trust.signing;
  return [head, ...trust.trusted.filter((c) => !same(c, head))];
}

export async function planTrust(input: TrustPlanInput): Promise<TrustPlan> {
  const writes: FileWrite[] = [];
  const changed: CaName[] = [];
  const refused: string[] = [];
  const pods = new Set<StaticPod>();
  let kubelet = false;
  let clusterCaPem = input.nodeFiles.get("ca")?.pem;
  let clusterBundleSize = input.nodeFiles.get("ca")?.certificates.length ?? 0;

  for (const name of CaName.options) {
    const trust = input.service.get(name);
    const node = input.nodeFiles.get(name);
    if (!trust || !node) continue;
    const bundle = orderBundle(trust, input.leaves);
    const pem = bundle.map((c) => c.toString()).join("");
    // The same certificates in the same order: leave the bytes (and the components reading them) alone.
    if (sameList(node.certificates, bundle)) continue;
    // Every leaf of this CA on the node must still chain to the new file.
    const stranded = input.leaves.filter((l) => l.issuerCa === name && issuerAmong(l.certificate, node.certificates) && !issuerAmong(l.certificate, bundle));
    if (stranded.length > 0) {
      refused.push(
        `${node.path} left as it is: ${stranded.map((l) => l.file).join(", ")} would no longer chain to the service's ${name} bundle; renew ${stranded.length === 1 ? "it" : "them"} first (kubeadm certs generate-csr, kubeca renew --csr-dir)`,
      );
      continue;
    }
    writes.push({ path: node.path, content: pem, mode: MODES["ca-certificate"], kind: "ca-certificate", name });
    changed.push(name);
    CA_READERS[name].pods.forEach((p) => pods.add(p));
    kubelet ||= CA_READERS[name].kubelet;
    if (name === "ca") {
      clusterCaPem = pem;
      clusterBundleSize = bundle.length;
    }
  }

  // Kubeconfigs not rewritten by this install: only their certificate-authority-data changes.
  if (clusterCaPem !== undefined) {
    for (const p of PROFILES.filter((x: Profile) => x.kind === "kubeconfig" && !input.kubeconfigsWritten.has(x.name))) {
      const path = targetPath(input.dirs, p);
      const text = await readFile(path, "utf8").catch(() => undefined);
      if (text === undefined) continue;
      let view;
      try {
        view = readKubeconfig(text);
      } catch {
        continue; // renew's own checks report unusable kubeconfigs
      }
      if (view.certificateAuthorityPem !== undefined && sameList(parseCertificates(view.certificateAuthorityPem), parseCertificates(clusterCaPem))) continue;
      writes.push({ path, content: fillKubeconfigAuthority(view, clusterCaPem), mode: MODES.kubeconfig, kind: "kubeconfig", name: p.name });
      const reader = KUBECONFIG_READERS[p.name];
      if (reader === "kubelet") kubelet = true;
      else if (reader) pods.add(reader);
    }
  }

  // kube-controller-manager's --client-ca-file: one certificate, never the bundle.
  if (input.manifestDir && clusterCaPem !== undefined) {
    const manifestPath = join(input.manifestDir, KCM_MANIFEST);
    const manifest = await readFile(manifestPath, "utf8").catch(() => undefined);
    if (manifest !== undefined) {
      const caPath = caCertPath(input.dirs, "ca");
      const singlePath = join(input.dirs.certDir, KCM_CLIENT_CA_FILE);
      const bundled = clusterBundleSize > 1;
      if (bundled) {
        const single = parseCertificates(clusterCaPem)[0]!.toString();
        const existing = await readFile(singlePath, "utf8").catch(() => undefined);
        if (existing !== single) writes.push({ path: singlePath, content: single, mode: MODES["ca-certificate"], kind: "ca-certificate", name: "ca" });
      }
      const edited = withClientCaFile(manifest, bundled ? [caPath, singlePath] : [singlePath, caPath]);
      if (edited !== undefined) writes.push({ path: manifestPath, content: edited, mode: MODES.manifest, kind: "manifest", name: "kube-controller-manager" });
    }
  }

  return { writes, clusterCaPem, changedCas: changed, restart: [...pods], restartKubelet: kubelet, refused };
}

/**
 * The manifest with `--client-ca-file=<from>` replaced by `--client-ca-file=<to>` in the
 * kube-controller-manager container's command; undefined when there is nothing to change.
 */
export function withClientCaFile(manifest: string, [from, to]: readonly [string, string]): string | undefined {
  const doc = parseDocument(manifest);
  if (doc.errors.length > 0) return undefined;
  const containers = (doc.toJS() as { spec?: { containers?: { command?: unknown[] }[] } } | null)?.spec?.containers ?? [];
  if (!containers.some((c) => c.command?.includes(`--client-ca-file=${from}`))) return undefined;
  // The flag is in a container's command: change that line's text alone, so the kubelet sees the
  // manifest exactly as kubeadm (or the operator) wrote it otherwise.
  const escaped = `--client-ca-file=${from}`.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const line = new RegExp(`^(\\s*-\\s*["']?)${escaped}(["']?\\s*)$`, "m");
  if (!line.test(manifest)) return undefined;
  return manifest.replace(line, (_all, before: string, after: string) => `${before}--client-ca-file=${to}${after}`);
}

/** The report kubeca renew sends after each run: per CA, the node's CA file and its leaves' issuers. */
export function trustReport(
  service: ReadonlyMap<CaName, ServiceTrust>,
  files: ReadonlyMap<CaName, readonly X509Certificate[]>,
  leaves: readonly NodeLeaf[],
): AuditTrustReportCa[] {
  const out: AuditTrustReportCa[] = [];
  for (const name of CaName.options) {
    const trusted = files.get(name) ?? [];
    const known = [...trusted, ...(service.get(name)?.trusted ?? [])];
    const mine = leaves.filter((l) => l.issuerCa === name);
    if (trusted.length === 0 && mine.length === 0) continue;
    out.push({
      name,
      trusted: trusted.map(sha256Of),
      leaves: mine.map((l) => {
        const issuer = issuerAmong(l.certificate, known);
        return { file: l.file, issuer: issuer ? sha256Of(issuer) : "unknown", serial: l.certificate.serialNumber.toLowerCase(), notAfter: new Date(l.certificate.validTo).toISOString() };
      }),
    });
  }
  return out;
}
