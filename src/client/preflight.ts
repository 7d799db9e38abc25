// Before anything is sent: each CSR must read, match its private key, and carry the subject kubeadm
// writes for its file. Every problem names the file to look at.
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { isKubecaError } from "../errors/index.js";
import { NODE_PLACEHOLDER, type Profile } from "../kubeadm/index.js";
import { parseCsr } from "../pki/index.js";
import type { ParsedCsr } from "../pki/types.js";
import type { FileProblem, PendingFile } from "./discover.js";
import { readKubeconfig, type KubeconfigView } from "./kubeconfig-file.js";
import { targetPath, type NodeDirs } from "./node-paths.js";
import { Reasons } from "./reasons.js";

export interface PreparedFile {
  readonly pending: PendingFile;
  readonly csrPem: string;
  readonly csr: ParsedCsr;
  readonly csrPublicKey: KeyObject;
  readonly privateKey: KeyObject;
  readonly keyPem: string;
  /** Kubeconfigs: the file to fill, the live one when it exists, else the staged partial one. */
  readonly kubeconfig: KubeconfigView | undefined;
}

export type PreflightResult =
  | { readonly ok: true; readonly file: PreparedFile }
  | { readonly ok: false; readonly problem: FileProblem }
  | { readonly ok: "skip"; readonly note: string };

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  const der = (k: KeyObject) => (k.type === "public" ? k : createPublicKey(k)).export({ format: "der", type: "spki" });
  return der(a).equals(der(b));
}

/** Does a CN match the profile's, where `<node>` stands for any node name? */
function commonNameMatches(p: Profile, cn: string): boolean {
  const [before, after] = p.commonName.split(NODE_PLACEHOLDER);
  if (after === undefined) return cn === p.commonName;
  return cn.length > (before ?? "").length + after.length && cn.startsWith(before ?? "") && cn.endsWith(after);
}

/** O is judged loosely here (either side of 1.29); the service applies the cluster's exact version. */
function organizationsMatch(p: Profile, orgs: readonly string[]): boolean {
  const key = (list: readonly string[]) => [...list].sort().join("\n");
  return key(orgs) === key(p.organizations.before1_29) || key(orgs) === key(p.organizations.from1_29);
}

export async function preflight(dirs: NodeDirs, pending: PendingFile): Promise<PreflightResult> {
  const p = pending.profile;
  const fail = (file: string, reason: FileProblem["reason"], message: string): PreflightResult => ({
    ok: false,
    problem: { name: p.name, file, reason, message },
  });

  let csrPem: string;
  let csr: ParsedCsr;
  let csrPublicKey: KeyObject;
  try {
    csrPem = await readFile(pending.csrPath, "utf8");
    // The service's own reader: a CSR it would call malformed or badly signed is caught here, locally.
    csr = parseCsr(csrPem);
    csrPublicKey = createPublicKey({ key: Buffer.from(csr.spkiDer), format: "der", type: "spki" });
  } catch (e) {
    return fail(pending.csrPath, Reasons.CsrUnreadable, `${pending.csrPath}: ${isKubecaError(e) ? e.detail : (e as Error).message}`);
  }

  // The key: a .key file, or client-key-data inside the (partial) kubeconfig.
  const keyFile = pending.keySource.path;
  let keyPem: string;
  let sourceKubeconfig: KubeconfigView | undefined;
  try {
    if (pending.keySource.kind === "key-file") {
      keyPem = await readFile(keyFile, "utf8");
    } else {
      sourceKubeconfig = readKubeconfig(await readFile(keyFile, "utf8"));
      if (!sourceKubeconfig.clientKeyPem) throw new Error("has no client-key-data for its user");
      keyPem = sourceKubeconfig.clientKeyPem;
    }
  } catch (e) {
    const message = (e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : (e as Error).message;
    return fail(keyFile, Reasons.KeyUnreadable, `${keyFile}: ${message} (the private key for ${pending.csrPath})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (e) {
    return fail(keyFile, Reasons.KeyUnreadable, `${keyFile}: the private key does not parse (${(e as Error).message})`);
  }
  if (!sameKey(privateKey, csrPublicKey)) {
    return fail(pending.csrPath, Reasons.KeyMismatch, `${pending.csrPath} was not made with the key in ${keyFile}; run kubeadm certs generate-csr again for ${p.name}`);
  }

  const cn = csr.commonNames.join(",");
  if (csr.commonNames.length !== 1 || !commonNameMatches(p, csr.commonNames[0] ?? "")) {
    return fail(pending.csrPath, Reasons.SubjectMismatch, `${pending.csrPath}: subject CN is "${cn}", but kubeadm writes CN "${p.commonName}" for ${p.name}`);
  }
  if (!organizationsMatch(p, csr.organizations)) {
    const expected = [p.organizations.from1_29, p.organizations.before1_29].map((o) => `[${o.join(", ")}]`).join(" or ");
    return fail(pending.csrPath, Reasons.SubjectMismatch, `${pending.csrPath}: subject O is [${csr.organizations.join(", ")}], but kubeadm writes ${expected} for ${p.name}`);
  }

  // A staged set is a renewal: generate-csr stages every file kubeadm knows (etcd leaves with external
  // etcd, super-admin.conf on every control plane), but only what this node already has is renewed.
  if (pending.layout === "staged" && !(await exists(targetPath(dirs, p)))) {
    return { ok: "skip", note: `${p.name}: skipped, ${targetPath(dirs, p)} does not exist and a staged renewal renews only what the node has` };
  }

  let kubeconfig: KubeconfigView | undefined;
  if (p.kind === "kubeconfig") {
    const live = targetPath(dirs, p);
    try {
      if (await exists(live)) kubeconfig = live === keyFile && sourceKubeconfig ? sourceKubeconfig : readKubeconfig(await readFile(live, "utf8"));
      else kubeconfig = sourceKubeconfig;
    } catch (e) {
      return fail(live, Reasons.KubeconfigUnusable, `${live}: ${(e as Error).message}`);
    }
    if (!kubeconfig) {
      return fail(live, Reasons.KubeconfigUnusable, `${live} does not exist: the legacy layout renews an existing kubeconfig; create it first (kubeadm init phase kubeconfig)`);
    }
    if (kubeconfig.clientCertificateFile) {
      return { ok: "skip", note: `${p.name}: skipped, its user reads client-certificate from ${kubeconfig.clientCertificateFile}, which the kubelet rotates itself` };
    }
  }
  return { ok: true, file: { pending, csrPem, csr, csrPublicKey, privateKey, keyPem, kubeconfig } };
}
