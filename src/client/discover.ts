// Finds the CSRs waiting to be signed, in the three layouts kubeadm (and kubeca's timer) produce:
//   in place  `kubeadm certs generate-csr` into the live dirs: <pki>/<base>.csr next to <base>.key,
//             <kc>/<file>.csr next to the partial kubeconfig that holds the key (spec §2.1);
//   staged    generate-csr run with --cert-dir <csr-dir>/pki --kubeconfig-dir <csr-dir>, because it refuses
//             to write over the live keys of a running node: the new key is installed with the certificate;
//   legacy    `--csr-only --csr-dir <csr-dir>`: <csr-dir>/<ux-name>.csr + .key, kubeconfig keys in
//             <file>.key (spec §2.3).
import { access, readdir } from "node:fs/promises";
import { join } from "node:path";
import { PROFILES, type Profile } from "../kubeadm/index.js";
import { uxName, type NodeDirs } from "./node-paths.js";
import { Reasons, type Reason } from "./reasons.js";

export type Layout = "in-place" | "staged" | "legacy";

export type KeySource = { readonly kind: "key-file"; readonly path: string } | { readonly kind: "kubeconfig"; readonly path: string };

export interface PendingFile {
  readonly profile: Profile;
  /** The name sent to the service: the generate-csr name, or the legacy UX name for the legacy layout. */
  readonly requestName: string;
  readonly layout: Layout;
  readonly csrPath: string;
  readonly keySource: KeySource;
  /** Files removed after a successful install unless --keep-csr (generate-csr refuses to overwrite them). */
  readonly leftovers: readonly string[];
}

export interface FileProblem {
  readonly name: string;
  readonly file: string;
  readonly reason: Reason;
  readonly message: string;
}

export interface Discovery {
  readonly pending: readonly PendingFile[];
  readonly problems: readonly FileProblem[];
  /** Things worth saying that are not failures (ignored files). */
  readonly notes: readonly string[];
  /** Folders searched, for "nothing to renew" messages. */
  readonly searched: readonly string[];
}

export interface DiscoverOptions extends NodeDirs {
  readonly csrDir?: string;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function inPlace(dirs: NodeDirs, p: Profile): Promise<PendingFile | undefined> {
  if (p.kind === "pki") {
    const csrPath = join(dirs.certDir, `${p.name}.csr`);
    if (!(await exists(csrPath))) return undefined;
    return { profile: p, requestName: p.name, layout: "in-place", csrPath, keySource: { kind: "key-file", path: join(dirs.certDir, `${p.name}.key`) }, leftovers: [csrPath] };
  }
  const csrPath = join(dirs.kubeconfigDir, `${p.name}.csr`);
  if (!(await exists(csrPath))) return undefined;
  return { profile: p, requestName: p.name, layout: "in-place", csrPath, keySource: { kind: "kubeconfig", path: join(dirs.kubeconfigDir, p.name) }, leftovers: [csrPath] };
}

async function fromCsrDir(csrDir: string, p: Profile): Promise<PendingFile[]> {
  const found: PendingFile[] = [];
  // Legacy: flat, named by the UX name; every key is a separate .key file.
  const legacyName = uxName(p);
  const legacyCsr = join(csrDir, `${legacyName}.csr`);
  const legacyKey = join(csrDir, `${legacyName}.key`);
  if ((await exists(legacyCsr)) && (p.kind === "pki" || (await exists(legacyKey)))) {
    found.push({ profile: p, requestName: legacyName, layout: "legacy", csrPath: legacyCsr, keySource: { kind: "key-file", path: legacyKey }, leftovers: [legacyCsr, legacyKey] });
  }
  // Staged generate-csr: PKI files under <csr-dir>/pki, kubeconfigs (partial, holding the key) at the top.
  if (p.kind === "pki") {
    const csrPath = join(csrDir, "pki", `${p.name}.csr`);
    const keyPath = join(csrDir, "pki", `${p.name}.key`);
    if (await exists(csrPath)) found.push({ profile: p, requestName: p.name, layout: "staged", csrPath, keySource: { kind: "key-file", path: keyPath }, leftovers: [csrPath, keyPath] });
  } else if (found.length === 0) {
    const csrPath = join(csrDir, `${p.name}.csr`);
    const partial = join(csrDir, p.name);
    if (await exists(csrPath)) found.push({ profile: p, requestName: p.name, layout: "staged", csrPath, keySource: { kind: "kubeconfig", path: partial }, leftovers: [csrPath, partial] });
  }
  return found;
}

/** Every `*.csr` in `dir` and, down to `depth` levels, its subfolders (kubeadm's etcd/, a staged pki/). */
async function csrFilesBelow(dir: string, depth: number): Promise<string[]> {
  // A folder that is not there holds no CSR; one we may not read must fail the run, not pass as empty.
  const entries = await readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT" || e.code === "ENOTDIR") return [];
    throw e;
  });
  const found: string[] = [];
  for (const e of entries) {
    const abs = join(dir, e.name);
    if (e.isFile() && e.name.endsWith(".csr")) found.push(abs);
    else if (e.isDirectory() && depth > 0) found.push(...(await csrFilesBelow(abs, depth - 1)));
  }
  return found;
}

export async function discoverPending(options: DiscoverOptions): Promise<Discovery> {
  const pending: PendingFile[] = [];
  const problems: FileProblem[] = [];
  const notes: string[] = [];
  const claimed = new Set<string>();

  for (const p of PROFILES) {
    const candidates = [await inPlace(options, p), ...(options.csrDir ? await fromCsrDir(options.csrDir, p) : [])].filter(
      // --csr-dir may name a live dir: the same file found twice is one CSR, kept as found in place.
      (c, i, all): c is PendingFile => c !== undefined && all.findIndex((o) => o?.csrPath === c.csrPath) === i,
    );
    candidates.forEach((c) => claimed.add(c.csrPath));
    if (candidates.length > 1) {
      problems.push({
        name: p.name,
        file: candidates.map((c) => c.csrPath).join(", "),
        reason: Reasons.DuplicateCsr,
        message: `two CSRs for ${p.name}: ${candidates.map((c) => c.csrPath).join(" and ")}; remove the one that is not meant`,
      });
    } else if (candidates[0]) {
      pending.push(candidates[0]);
    }
  }

  const unclaimed = new Set([
    ...(await csrFilesBelow(options.certDir, 1)),
    ...(await csrFilesBelow(options.kubeconfigDir, 0)),
    ...(options.csrDir ? await csrFilesBelow(options.csrDir, 2) : []),
  ]);
  for (const abs of [...unclaimed].sort()) {
    if (!claimed.has(abs)) notes.push(`ignoring ${abs}: not a file kubeadm asks an external CA to sign`);
  }
  const searched = [options.certDir, options.kubeconfigDir, ...(options.csrDir ? [options.csrDir] : [])];
  return { pending, problems, notes, searched };
}

