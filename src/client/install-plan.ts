// What will be written where, with which mode, decided before anything is written (and shown by
// --dry-run). Keys already in place are never rewritten.
import type { CaName } from "../config/index.js";
import { fillKubeconfig } from "./kubeconfig-file.js";
import { liveKeyPath, targetPath, type NodeDirs } from "./node-paths.js";
import type { VerifiedCertificate } from "./verify-issued.js";

export type WriteKind = "ca-certificate" | "certificate" | "key" | "kubeconfig" | "manifest";

export interface FileWrite {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
  readonly kind: WriteKind;
  /** The profile (or CA) this write belongs to. */
  readonly name: string;
}

/** Modes kubeadm uses (spec §2.1, §1.4): certificates are public, keys, kubeconfigs and static pod manifests are not. */
export const MODES: Readonly<Record<WriteKind, number>> = { "ca-certificate": 0o644, certificate: 0o644, key: 0o600, kubeconfig: 0o600, manifest: 0o600 };

export interface CaFileToWrite {
  readonly name: CaName;
  readonly path: string;
  readonly pem: string;
}

export function planWrites(
  dirs: NodeDirs,
  verified: readonly VerifiedCertificate[],
  caFiles: readonly CaFileToWrite[],
  /** PEM of ca.crt as it will be on the node after the install: what kubeconfigs embed. */
  clusterCaPem: string | undefined,
): FileWrite[] {
  const writes: FileWrite[] = caFiles.map((ca) => ({ path: ca.path, content: ca.pem, mode: MODES["ca-certificate"], kind: "ca-certificate", name: ca.name }));
  for (const v of verified) {
    const { profile: p, layout } = v.file.pending;
    const keyMoves = layout !== "in-place";
    if (p.kind === "pki") {
      if (keyMoves) writes.push({ path: liveKeyPath(dirs, p), content: v.file.keyPem, mode: MODES.key, kind: "key", name: p.name });
      writes.push({ path: targetPath(dirs, p), content: v.chainPem, mode: MODES.certificate, kind: "certificate", name: p.name });
    } else {
      const view = v.file.kubeconfig;
      if (!view) throw new Error(`internal: no kubeconfig prepared for ${p.name}`);
      if (!clusterCaPem) throw new Error(`internal: no ca.crt to embed in ${p.name}`);
      const content = fillKubeconfig(view, { certificatePem: v.chainPem, certificateAuthorityPem: clusterCaPem, ...(keyMoves ? { keyPem: v.file.keyPem } : {}) });
      writes.push({ path: targetPath(dirs, p), content, mode: MODES.kubeconfig, kind: "kubeconfig", name: p.name });
    }
  }
  // Sanity: a target written twice would make the backup ambiguous.
  const seen = new Set<string>();
  for (const w of writes) {
    if (seen.has(w.path)) throw new Error(`internal: ${w.path} planned twice`);
    seen.add(w.path);
  }
  return writes;
}
