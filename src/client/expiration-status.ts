// Where a node stands: every certificate `kubeadm certs check-expiration` reports, read from disk,
// judged against a given time (never the clock: callers pass `now`).
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { CaName } from "../config/index.js";
import { PROFILES, type Profile } from "../kubeadm/index.js";
import { readKubeconfig } from "./kubeconfig-file.js";
import { readNodeCa } from "./node-cas.js";
import { targetPath, uxName, type NodeDirs } from "./node-paths.js";
import { pemBlocks, toPem } from "./pem.js";

export interface CertificateRow {
  /** kubeadm's UX name: `apiserver`, `etcd-server`, `admin.conf`. */
  readonly name: string;
  readonly path: string;
  readonly ca: CaName;
  readonly notAfter: Date | undefined;
  readonly missing: boolean;
  /** Why a present file could not be read. */
  readonly unreadable: string | undefined;
  readonly externallyManaged: boolean;
  /** Absent on most nodes by design (super-admin.conf exists only where `kubeadm init` ran). */
  readonly optional: boolean;
}

export interface AuthorityRow {
  readonly name: CaName;
  readonly path: string;
  readonly notAfter: Date | undefined;
  readonly missing: boolean;
  readonly unreadable: string | undefined;
  readonly externallyManaged: boolean;
}

export interface ExpirationStatus {
  readonly now: Date;
  readonly certificates: readonly CertificateRow[];
  readonly authorities: readonly AuthorityRow[];
}

type Read = { notAfter: Date } | { missing: true } | { unreadable: string };

function firstCertificate(pem: string): X509Certificate | undefined {
  const block = pemBlocks(pem).find((b) => b.label === "CERTIFICATE");
  return block ? new X509Certificate(toPem("CERTIFICATE", block.der)) : undefined;
}

async function readLeaf(dirs: NodeDirs, p: Profile): Promise<Read> {
  const path = targetPath(dirs, p);
  try {
    let pem: string | undefined = await readFile(path, "utf8");
    if (p.kind === "kubeconfig") {
      const view = readKubeconfig(pem);
      pem = view.clientCertificatePem ?? (view.clientCertificateFile ? await readFile(view.clientCertificateFile, "utf8") : undefined);
      // A partial kubeconfig from generate-csr has no certificate yet.
      if (pem === undefined) return { missing: true };
    }
    const cert = firstCertificate(pem);
    return cert ? { notAfter: new Date(cert.validTo) } : { unreadable: `${path} holds no certificate` };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { missing: true };
    return { unreadable: `${path}: ${(e as Error).message}` };
  }
}

export async function readExpirationStatus(dirs: NodeDirs, now: Date): Promise<ExpirationStatus> {
  const authorities: AuthorityRow[] = [];
  for (const name of CaName.options) {
    try {
      const ca = await readNodeCa(dirs, name);
      const cert = ca.certificates[0];
      authorities.push({ name, path: ca.path, notAfter: cert ? new Date(cert.validTo) : undefined, missing: !cert, unreadable: undefined, externallyManaged: !!cert && !ca.keyPresent });
    } catch (e) {
      authorities.push({ name, path: "", notAfter: undefined, missing: false, unreadable: (e as Error).message, externallyManaged: false });
    }
  }
  const external = new Map(authorities.map((a) => [a.name, a.externallyManaged]));

  const rows: CertificateRow[] = [];
  for (const p of PROFILES) {
    // kubeadm leaves kubelet.conf out: the kubelet rotates its own client certificate.
    if (p.name === "kubelet.conf") continue;
    const read = await readLeaf(dirs, p);
    rows.push({
      name: uxName(p),
      path: targetPath(dirs, p),
      ca: p.issuer,
      notAfter: "notAfter" in read ? read.notAfter : undefined,
      missing: "missing" in read,
      unreadable: "unreadable" in read ? read.unreadable : undefined,
      externallyManaged: external.get(p.issuer) ?? false,
      optional: p.name === "super-admin.conf",
    });
  }

  // External etcd: no etcd-ca and none of its leaves on this node; kubeadm then lists none of them.
  const etcdCa = authorities.find((a) => a.name === "etcd-ca");
  const hasLocalEtcd = !etcdCa?.missing || rows.some((r) => r.ca === "etcd-ca" && !r.missing);
  return {
    now,
    certificates: rows.filter((r) => hasLocalEtcd || r.ca !== "etcd-ca").sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    authorities: authorities.filter((a) => hasLocalEtcd || a.name !== "etcd-ca"),
  };
}

/** Rows that renewal would fix: missing, unreadable, or expiring before `now + windowMs`. */
export function certificatesDue(status: ExpirationStatus, windowMs: number): CertificateRow[] {
  const limit = status.now.getTime() + windowMs;
  return status.certificates.filter((r) => (r.missing && !r.optional) || r.unreadable !== undefined || (r.notAfter !== undefined && r.notAfter.getTime() <= limit));
}

/** CAs that expire (or are missing) within the window: renewal cannot fix these. */
export function authoritiesDue(status: ExpirationStatus, windowMs: number): AuthorityRow[] {
  const limit = status.now.getTime() + windowMs;
  return status.authorities.filter((a) => a.missing || a.unreadable !== undefined || (a.notAfter !== undefined && a.notAfter.getTime() <= limit));
}
