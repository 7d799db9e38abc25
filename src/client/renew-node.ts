// `kubeca renew`, start to end: discover → pre-flight → compare CAs → sign (one batch) → verify every
// certificate → install atomically → remove CSRs → say what to restart. Nothing on the node changes
// before every certificate has been verified, and (without --allow-partial) unless all of them were.
import { X509Certificate } from "node:crypto";
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import type { CaName } from "../config/index.js";
import type { Violation } from "../errors/index.js";
import type { SignResult } from "../issuance/types.js";
import { findProfile, KNOWN_PROFILE_NAMES } from "../kubeadm/index.js";
import { createBackupDir, findInterruptedInstalls, InstallError, installAtomically, recoverInterruptedInstalls, type InstallHooks } from "./atomic-install.js";
import { discoverPending, type FileProblem, type Layout } from "./discover.js";
import { readExpirationStatus, type ExpirationStatus } from "./expiration-status.js";
import { planWrites, type FileWrite } from "./install-plan.js";
import { describeCertificate, readNodeCas, type NodeCa } from "./node-cas.js";
import { planTrust, readNodeLeaves, sameCa, serviceTrust, trustReport, type NodeLeaf, type ServiceTrust, type TrustPlan, type TrustPlanInput } from "./node-trust.js";
import { liveKeyPath, targetPath, type NodeDirs } from "./node-paths.js";
import { LOCK_FILE, lockNode, NodeBusyError, takeoverLine } from "./node-lock.js";
import { preflight, type PreparedFile } from "./preflight.js";
import { Reasons, type Reason } from "./reasons.js";
import { restartAdvice, STATIC_POD_ORDER, type RestartAdvice, type StaticPod } from "./restart-plan.js";
import { BATCH_LIMIT, isRefusal, type SignClient } from "./sign-client.js";
import { restartStaticPods, type StaticPodRestartOptions } from "./static-pod-restart.js";
import { verifyIssued, type VerifiedCertificate } from "./verify-issued.js";

export interface RenewOptions extends NodeDirs {
  readonly csrDir?: string;
  /** Profile or legacy names; everything found when absent. */
  readonly only?: readonly string[];
  readonly dryRun?: boolean;
  readonly keepCsr?: boolean;
  readonly allowPartial?: boolean;
  /** Backups and the install journal go under here; default `<kubeconfig-dir>/tmp`, like kubeadm's. */
  readonly backupRoot?: string;
  /** Set to restart the static pods whose certificates changed. */
  readonly restart?: Omit<StaticPodRestartOptions, "log" | "holdDir">;
  /** The kubelet's static pod folder: kube-controller-manager's --client-ca-file is kept single there. */
  readonly manifestDir?: string;
  /** The kubelet's certificate folder (/var/lib/kubelet/pki): its certificates are reported too. */
  readonly kubeletPkiDir?: string;
}

export interface RenewDeps {
  readonly client: SignClient;
  readonly now: () => Date;
  /** One line of progress (stderr in the CLI). */
  readonly progress: (line: string) => void;
  readonly installHooks?: InstallHooks;
}

export type ItemStatus = "installed" | "would-install" | "failed" | "skipped" | "held-back";

export interface ItemReport {
  readonly name: string;
  readonly layout: Layout | undefined;
  readonly status: ItemStatus;
  readonly reason?: Reason;
  readonly message?: string;
  readonly violations?: readonly Violation[];
  /** Files written (or, for --dry-run, that would be). */
  readonly files: readonly string[];
  readonly serial?: string;
  readonly notAfter?: string;
}

export type RenewOutcome = "nothing-to-do" | "dry-run" | "installed" | "partial" | "failed";

export interface RenewReport {
  readonly outcome: RenewOutcome;
  readonly items: readonly ItemReport[];
  readonly notes: readonly string[];
  /** Why nothing at all was installed, when one cause explains it (CA mismatch, install failure). */
  readonly failure?: string;
  readonly caFilesWritten: readonly string[];
  readonly backupDir?: string;
  readonly restart: RestartAdvice;
  readonly restarted: readonly StaticPod[];
  /** check-expiration view after the install. */
  readonly status?: ExpirationStatus;
}

const NO_RESTART: RestartAdvice = { staticPods: [], kubelet: false };

function problemItem(p: FileProblem, layout?: Layout): ItemReport {
  return { name: p.name, layout, status: "failed", reason: p.reason, message: p.message, files: [] };
}

/** Paths a verified (or merely prepared, for --dry-run) file will write. */
function plannedPaths(dirs: NodeDirs, f: PreparedFile): string[] {
  const p = f.pending.profile;
  const paths = [targetPath(dirs, p)];
  if (p.kind === "pki" && f.pending.layout !== "in-place") paths.unshift(liveKeyPath(dirs, p));
  return paths;
}

/**
 * Renews under the node's lock (node-lock.ts), held from before the pki folder is read until the
 * install is finished or rolled back and the pods restarted; a dry run writes nothing and takes none.
 * Throws NodeBusyError, having done nothing, while another kubeca renew or recover holds it.
 */
export async function renewNode(options: RenewOptions, deps: RenewDeps): Promise<RenewReport> {
  if (options.dryRun) return renewLocked(options, deps);
  const lock = await lockNode(options.backupRoot ?? join(options.kubeconfigDir, "tmp"), "kubeca renew");
  try {
    const tookOver = takeoverLine(lock);
    if (tookOver) deps.progress(tookOver);
    return await renewLocked(options, deps);
  } finally {
    await lock.release();
  }
}

async function renewLocked(options: RenewOptions, deps: RenewDeps): Promise<RenewReport> {
  const log = deps.progress;
  const notes: string[] = [];
  const note = (line: string) => {
    notes.push(line);
    log(line);
  };
  const backupRoot = options.backupRoot ?? join(options.kubeconfigDir, "tmp");
  const base = { notes, caFilesWritten: [] as string[], restart: NO_RESTART, restarted: [] as StaticPod[] };

  if (!options.dryRun) {
    // An installer that holds no lock (a kubeca from before the lock, during an upgrade) is still
    // running: leave the node to it, as to a lock holder.
    const running = (await findInterruptedInstalls(backupRoot)).find((i) => i.running);
    if (running) throw new NodeBusyError(`another kubeca renew is installing (journal in ${running.backupDir}, started ${running.startedAt})`, join(backupRoot, LOCK_FILE));
    for (const line of await recoverInterruptedInstalls(backupRoot)) note(line);
  }

  // 1. Discover.
  if (options.only) {
    const unknown = options.only.filter((n) => !findProfile(n));
    if (unknown.length > 0) throw new RangeError(`--only: ${unknown.join(", ")} not known; known names: ${KNOWN_PROFILE_NAMES.join(", ")}`);
  }
  const wanted = (name: string) => !options.only || options.only.some((n) => findProfile(n)?.name === name);
  const discovery = await discoverPending(options);
  discovery.notes.forEach(note);
  const pending = discovery.pending.filter((p) => wanted(p.profile.name));
  const items: ItemReport[] = discovery.problems.filter((p) => wanted(p.name)).map((p) => problemItem(p));
  if (pending.length === 0 && items.length === 0) {
    // No CSR: the node's trust may still have to follow the service's CA rotation.
    const trusted = await syncTrustOnly(options, deps, base, backupRoot);
    if (trusted) return trusted;
    // Said once, on stdout, by the caller: this is the answer, not progress.
    notes.push(`nothing to renew: no CSRs in ${discovery.searched.join(", ")}${options.only ? ` for ${options.only.join(", ")}` : ""}; run kubeadm certs generate-csr first`);
    return { ...base, outcome: "nothing-to-do", items };
  }
  log(`found ${pending.length} CSR(s): ${pending.map((p) => `${p.profile.name} (${p.layout})`).join(", ")}`);

  // 2. Pre-flight, all local.
  const prepared: PreparedFile[] = [];
  for (const p of pending) {
    const result = await preflight(options, p);
    if (result.ok === true) prepared.push(result.file);
    else if (result.ok === "skip") {
      note(result.note);
      items.push({ name: p.profile.name, layout: p.layout, status: "skipped", message: result.note, files: [] });
    } else items.push(problemItem(result.problem, p.layout));
  }
  const failed = () => items.filter((i) => i.status === "failed");
  failed().forEach((i) => log(`  ✗ ${i.message}`));
  if (prepared.length > 0) log(`checked ${prepared.length} CSR(s) against their private keys and kubeadm's subjects`);
  const holdBack = (files: readonly PreparedFile[], why: string) =>
    files.map((f): ItemReport => ({ name: f.pending.profile.name, layout: f.pending.layout, status: "held-back", reason: Reasons.HeldBack, message: why, files: [] }));
  if (failed().length > 0 && !options.allowPartial) {
    return { ...base, outcome: "failed", items: [...items, ...holdBack(prepared, "not sent: another file failed its pre-flight check")] };
  }
  if (prepared.length === 0) return { ...base, outcome: failed().length > 0 ? "failed" : "nothing-to-do", items };

  // 3. The service's CAs against the node's: a different CA means the wrong service; stop before signing.
  let nodeCas: ReadonlyMap<CaName, NodeCa>;
  try {
    nodeCas = await readNodeCas(options);
  } catch (e) {
    log(`  ✗ ${(e as Error).message}`);
    return { ...base, outcome: "failed", failure: (e as Error).message, items: [...items, ...holdBack(prepared, "not sent: a CA file on the node is unreadable")] };
  }
  const trust = serviceTrust(await deps.client.listCas());
  const serviceCas = new Map<CaName, X509Certificate>([...trust].map(([name, t]) => [name, t.signing]));
  const issuers = new Set<CaName>(prepared.map((f) => f.pending.profile.issuer));
  if (prepared.some((f) => f.pending.profile.kind === "kubeconfig")) issuers.add("ca");
  const firstSetup = new Set<CaName>();
  for (const issuer of issuers) {
    const service = trust.get(issuer);
    const node = nodeCas.get(issuer)!;
    if (!service) continue;
    if (node.certificates.length === 0) {
      firstSetup.add(issuer);
      log(`first setup: ${node.path} is missing; it will be written from the service's ${issuer} (${describeCertificate(service.signing)})`);
      continue;
    }
    const difference = trustDifference(node, service);
    if (difference) {
      log(`  ✗ CA mismatch: ${difference}`);
      return { ...base, outcome: "failed", failure: `CA mismatch: ${difference}`, items: [...items, ...holdBack(prepared, `not sent: the service's ${issuer} differs from ${node.path}`)] };
    }
  }
  const signable: PreparedFile[] = [];
  for (const f of prepared) {
    const { profile: p, layout } = f.pending;
    if (serviceCas.has(p.issuer) && (p.kind === "pki" || serviceCas.has("ca"))) {
      signable.push(f);
    } else if (!serviceCas.has(p.issuer) && nodeCas.get(p.issuer)!.certificates.length === 0) {
      // Neither side has this CA: external etcd, whose leaves generate-csr writes anyway (spec §2.1).
      const why = `${p.name}: skipped, neither the service nor this node has ${p.issuer} (external etcd?)`;
      note(why);
      items.push({ name: p.name, layout, status: "skipped", message: why, files: [] });
    } else {
      const lists = [...serviceCas.keys()].join(", ") || "none";
      items.push(problemItem({ name: p.name, file: f.pending.csrPath, reason: Reasons.CaMissing, message: `${p.name}: the service has no ${p.issuer} CA (GET /v1/ca lists ${lists}), but ${nodeCas.get(p.issuer)!.path} exists` }, layout));
    }
  }
  if (failed().length > 0 && !options.allowPartial) return { ...base, outcome: "failed", items: [...items, ...holdBack(signable, "not sent: another file cannot be signed")] };
  if (signable.length === 0) return { ...base, outcome: failed().length > 0 ? "failed" : "nothing-to-do", items };

  if (options.dryRun) {
    for (const f of signable) items.push({ name: f.pending.profile.name, layout: f.pending.layout, status: "would-install", files: plannedPaths(options, f) });
    [...firstSetup].forEach((c) => log(`dry run: would write ${nodeCas.get(c)!.path}`));
    log(`dry run: ${signable.length} CSR(s) ready; nothing was sent for signing and nothing was written`);
    return { ...base, outcome: "dry-run", items, caFilesWritten: [] };
  }

  // 4. Sign: one batch (split only past the service's per-request limit).
  const answers = new Map<string, SignResult | { problem: { title?: string; detail?: string; violations?: readonly Violation[] } }>();
  for (let start = 0; start < signable.length; start += BATCH_LIMIT) {
    const chunk = signable.slice(start, start + BATCH_LIMIT);
    log(`sending ${chunk.length} CSR(s) for signing${signable.length > BATCH_LIMIT ? ` (${start + 1}–${start + chunk.length} of ${signable.length})` : ""}…`);
    const batch = await deps.client.signBatch(chunk.map((f) => ({ name: f.pending.requestName, csr: f.csrPem })));
    for (const a of batch) answers.set(a.name, a);
    log(`signed ${batch.filter((a) => !isRefusal(a)).length}/${chunk.length}${batch.some(isRefusal) ? `, refused ${batch.filter(isRefusal).length}` : ""}`);
  }

  // 5. Verify every certificate before touching anything.
  const now = deps.now();
  const verified: VerifiedCertificate[] = [];
  for (const f of signable) {
    const p = f.pending.profile;
    const answer = answers.get(f.pending.requestName);
    if (!answer) {
      items.push(problemItem({ name: p.name, file: f.pending.csrPath, reason: Reasons.BadAnswer, message: `${p.name}: the service's answer has no item for it` }, f.pending.layout));
      continue;
    }
    if ("problem" in answer) {
      const detail = [answer.problem.title, answer.problem.detail].filter(Boolean).join(": ");
      items.push({ name: p.name, layout: f.pending.layout, status: "failed", reason: Reasons.ServiceRefused, message: `${p.name}: refused by the service: ${detail}`, violations: answer.problem.violations ?? [], files: [] });
      continue;
    }
    // The node's CA file, and what the service says to trust (it was checked to be this cluster's).
    const nodeCa = nodeCas.get(p.issuer)!;
    const anchors = nodeCa.certificates.length > 0 ? { ...nodeCa, certificates: [...nodeCa.certificates, ...trust.get(p.issuer)!.trusted] } : nodeCa;
    const outcome = await verifyIssued(f, answer, { now, serviceCa: serviceCas.get(p.issuer)!, nodeCa: anchors });
    if (outcome.ok) verified.push(outcome.verified);
    else items.push(problemItem(outcome.problem, f.pending.layout));
  }
  for (const i of failed()) {
    log(`  ✗ ${i.message}`);
    for (const v of i.violations ?? []) log(`      - ${v.field}: ${v.message} [${v.rule}]`);
  }
  log(`verified ${verified.length}/${signable.length} certificate(s)`);
  const heldBackVerified = () =>
    verified.map((v): ItemReport => ({ name: v.file.pending.profile.name, layout: v.file.pending.layout, status: "held-back", reason: Reasons.HeldBack, message: "verified but not installed: another file failed (use --allow-partial to install the rest)", files: [] }));
  if (failed().length > 0 && !options.allowPartial) {
    log("nothing installed: every file must succeed (or pass --allow-partial)");
    return { ...base, outcome: "failed", items: [...items, ...heldBackVerified()] };
  }
  if (verified.length === 0) return { ...base, outcome: "failed", items };

  // 6. Install. CA files only for CAs whose certificates are being installed.
  const neededCas = new Set<CaName>(verified.map((v) => v.file.pending.profile.issuer));
  if (verified.some((v) => v.file.pending.profile.kind === "kubeconfig")) neededCas.add("ca");
  const installing: NodeLeaf[] = verified.map((v) => ({ file: v.file.pending.profile.name, issuerCa: v.file.pending.profile.issuer, certificate: new X509Certificate(Buffer.from(v.leaf.rawData)) }));
  const trustPlan = await planTrust({
    dirs: options,
    manifestDir: options.manifestDir,
    service: trust,
    nodeFiles: trustFiles(nodeCas, new Set([...firstSetup].filter((c) => neededCas.has(c)))),
    leaves: [...(await readNodeLeaves(options, options.kubeletPkiDir)).filter((l) => !installing.some((i) => i.file === l.file)), ...installing],
    kubeconfigsWritten: new Set(verified.filter((v) => v.file.pending.profile.kind === "kubeconfig").map((v) => v.file.pending.profile.name)),
  });
  trustPlan.refused.forEach((r) => note(r));
  const writes: FileWrite[] = [...trustPlan.writes, ...planWrites(options, verified, [], trustPlan.clusterCaPem)];
  const caToWrite = trustPlan.writes.filter((w) => w.kind === "ca-certificate");
  const backupDir = await createBackupDir(backupRoot, deps.now(), deps.installHooks);
  try {
    const receipt = await installAtomically(writes, backupDir, deps.installHooks);
    log(`installed ${writes.length} file(s); ${receipt.replaced.length} replaced file(s) backed up in ${backupDir}`);
  } catch (e) {
    if (!(e instanceof InstallError)) throw e;
    log(`  ✗ ${e.message}`);
    const failedItems = verified.map((v): ItemReport => ({ name: v.file.pending.profile.name, layout: v.file.pending.layout, status: "failed", reason: Reasons.InstallFailed, message: e.message, files: [] }));
    return { ...base, outcome: "failed", failure: e.message, backupDir, items: [...items, ...failedItems] };
  }
  for (const v of verified) {
    items.push({
      name: v.file.pending.profile.name,
      layout: v.file.pending.layout,
      status: "installed",
      files: writes.filter((w) => w.name === v.file.pending.profile.name).map((w) => w.path),
      serial: v.result.serial,
      notAfter: v.result.notAfter,
    });
  }

  // 7. The CSRs (and staged or legacy keys) are spent; generate-csr refuses to run while they exist.
  if (!options.keepCsr) {
    const leftovers = verified.flatMap((v) => v.file.pending.leftovers);
    for (const path of leftovers) await unlink(path).catch(() => undefined);
    log(`removed ${leftovers.length} spent CSR/key file(s) (--keep-csr keeps them)`);
  }

  await reportTrust(options, deps, trust, note);

  // 8. What must restart, and optionally restart it.
  const restart = withTrustRestarts(restartAdvice(verified.map((v) => v.file.pending.profile.name)), trustPlan);
  let restarted: StaticPod[] = [];
  if (options.restart && restart.staticPods.length > 0) {
    restarted = await restartStaticPods(restart.staticPods, { ...options.restart, holdDir: join(backupDir, "manifests"), log });
  }
  const status = await readExpirationStatus(options, deps.now());
  return {
    notes,
    outcome: failed().length > 0 ? "partial" : "installed",
    items,
    caFilesWritten: caToWrite.map((c) => c.path),
    backupDir,
    restart,
    restarted,
    status,
  };
}

/**
 * Undefined when the node's CA file holds one of the CAs the service says to trust (this is its
 * cluster), else the sentence that says which CA differs.
 */
function trustDifference(node: NodeCa, service: ServiceTrust): string | undefined {
  if (node.certificates.some((c) => service.trusted.some((t) => sameCa(c, t)))) return undefined;
  const onNode = node.certificates.map(describeCertificate).join("; ");
  return `the service's ${node.name} (${service.trusted.map(describeCertificate).join("; ")}) is not the CA in ${node.path} (${onNode}); is --server the signing service of this cluster?`;
}

/** The node's CA files for planTrust: those that exist, and missing ones this install needs (first setup). */
function trustFiles(nodeCas: ReadonlyMap<CaName, NodeCa>, firstSetup: ReadonlySet<CaName>): TrustPlanInput["nodeFiles"] {
  return new Map([...nodeCas].filter(([name, ca]) => ca.certificates.length > 0 || firstSetup.has(name)).map(([name, ca]) => [name, ca] as const));
}

function withTrustRestarts(advice: RestartAdvice, plan: TrustPlan): RestartAdvice {
  const pods = new Set([...advice.staticPods, ...plan.restart]);
  return { staticPods: STATIC_POD_ORDER.filter((p) => pods.has(p)), kubelet: advice.kubelet || plan.restartKubelet };
}

/** Tells the service what this node now trusts and holds; a failure is noted, not fatal (the install stands). */
async function reportTrust(options: RenewOptions, deps: RenewDeps, trust: ReadonlyMap<CaName, ServiceTrust>, note: (line: string) => void): Promise<void> {
  try {
    const files = new Map([...(await readNodeCas(options))].map(([name, ca]) => [name, ca.certificates] as const));
    await deps.client.reportTrust(trustReport(trust, files, await readNodeLeaves(options, options.kubeletPkiDir)));
  } catch (e) {
    note(`the service was not told what this node trusts (${(e as Error).message}); kubeca ca rotate status will not count this run`);
  }
}

/**
 * With no CSR to sign: make the node trust what the service says (a CA rotation's bundles), in one
 * crash-safe install, and report. Undefined when there was nothing to change or the service could
 * not be asked; the caller then says there was nothing to renew.
 */
async function syncTrustOnly(
  options: RenewOptions,
  deps: RenewDeps,
  base: { notes: string[]; caFilesWritten: string[]; restart: RestartAdvice; restarted: StaticPod[] },
  backupRoot: string,
): Promise<RenewReport | undefined> {
  const log = deps.progress;
  const nodeCas = await readNodeCas(options);
  const trust = serviceTrust(await deps.client.listCas());
  for (const [name, node] of nodeCas) {
    const service = trust.get(name);
    const difference = service && node.certificates.length > 0 ? trustDifference(node, service) : undefined;
    if (difference) {
      log(`  ✗ CA mismatch: ${difference}`);
      return { ...base, outcome: "failed", failure: `CA mismatch: ${difference}`, items: [] };
    }
  }
  const plan = await planTrust({
    dirs: options,
    manifestDir: options.manifestDir,
    service: trust,
    nodeFiles: trustFiles(nodeCas, new Set()),
    leaves: await readNodeLeaves(options, options.kubeletPkiDir),
    kubeconfigsWritten: new Set(),
  });
  plan.refused.forEach((r) => {
    base.notes.push(r);
    log(r);
  });
  if (plan.writes.length === 0) {
    await reportTrust(options, deps, trust, (line) => (base.notes.push(line), log(line)));
    return plan.refused.length > 0 ? { ...base, outcome: "failed", failure: plan.refused.join("; "), items: [] } : undefined;
  }
  if (options.dryRun) {
    plan.writes.forEach((w) => log(`dry run: would write ${w.path}`));
    return { ...base, outcome: "dry-run", items: [] };
  }
  const backupDir = await createBackupDir(backupRoot, deps.now(), deps.installHooks);
  try {
    await installAtomically(plan.writes, backupDir, deps.installHooks);
  } catch (e) {
    if (!(e instanceof InstallError)) throw e;
    log(`  ✗ ${e.message}`);
    return { ...base, outcome: "failed", failure: e.message, backupDir, items: [] };
  }
  log(`trust follows the service's CAs (${[...trust.values()].map((t) => `${t.name}: ${t.phase ?? "idle"}`).join(", ")}): wrote ${plan.writes.map((w) => w.path).join(", ")}`);
  await reportTrust(options, deps, trust, (line) => (base.notes.push(line), log(line)));
  const restart = withTrustRestarts(NO_RESTART, plan);
  let restarted: StaticPod[] = [];
  if (options.restart && restart.staticPods.length > 0) {
    restarted = await restartStaticPods(restart.staticPods, { ...options.restart, holdDir: join(backupDir, "manifests"), log });
  }
  return {
    ...base,
    outcome: plan.refused.length > 0 ? "partial" : "installed",
    ...(plan.refused.length > 0 ? { failure: plan.refused.join("; ") } : {}),
    items: [],
    caFilesWritten: plan.writes.filter((w) => w.kind === "ca-certificate").map((w) => w.path),
    backupDir,
    restart,
    restarted,
    status: await readExpirationStatus(options, deps.now()),
  };
}
