// Where kubeadm keeps each file on a node (spec §1.1, §1.2, §1.4). The profile catalogue in kubeadm/
// says what a file must contain; this module only says where it lives.
import { join } from "node:path";
import type { CaName } from "../config/index.js";
import { CA_FILES, type Profile } from "../kubeadm/index.js";

export interface NodeDirs {
  /** `--cert-dir`, default /etc/kubernetes/pki. */
  readonly certDir: string;
  /** `--kubeconfig-dir`, default /etc/kubernetes. */
  readonly kubeconfigDir: string;
}

export const DEFAULT_CERT_DIR = "/etc/kubernetes/pki";
export const DEFAULT_KUBECONFIG_DIR = "/etc/kubernetes";
export const DEFAULT_MANIFEST_DIR = "/etc/kubernetes/manifests";
/** Where the kubelet keeps its rotated client and serving certificates. */
export const DEFAULT_KUBELET_PKI_DIR = "/var/lib/kubelet/pki";

export { CA_FILES };

export function caCertPath(dirs: NodeDirs, ca: CaName): string {
  return join(dirs.certDir, CA_FILES[ca]);
}

/** kubeadm keeps ca.key next to ca.crt; its absence is what makes a CA "externally managed" (spec §2.4). */
export function caKeyPath(dirs: NodeDirs, ca: CaName): string {
  return caCertPath(dirs, ca).replace(/\.crt$/, ".key");
}

/** The name kubeadm's renew and check-expiration use (`etcd-server` for `etcd/server`). */
export function uxName(p: Profile): string {
  return p.aliases[0] ?? p.name;
}

/** The live file that receives the certificate: `<pki>/<base>.crt` or the kubeconfig itself. */
export function targetPath(dirs: NodeDirs, p: Profile): string {
  return p.kind === "pki" ? join(dirs.certDir, `${p.name}.crt`) : join(dirs.kubeconfigDir, p.name);
}

/** The live private key of a PKI file; kubeconfigs carry theirs inside. */
export function liveKeyPath(dirs: NodeDirs, p: Profile): string {
  return join(dirs.certDir, `${p.name}.key`);
}
