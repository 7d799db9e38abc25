// A crash or power loss in the middle of `kubeca renew`'s install. The installer runs as a process of
// its own (install-child.ts) and is killed at every step in turn; after each kill at most one
// key/certificate pair is mixed, and recovery — `kubeca recover`, the recovery unit's own command, or
// `kubeca status` — leaves every pair matching and the set wholly old. A last test checks the fsync
// order on the recorded operations: at every journal transition, every directory change made before
// it is already on disk, so the journal is true after a power cut whatever was lost after it.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createPublicKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { recoverCommand } from "../../src/cli/commands/recover.js";
import { renewCommand } from "../../src/cli/commands/renew.js";
import { statusCommand } from "../../src/cli/commands/status.js";
import { createBackupDir, findInterruptedInstalls, installAtomically, recoverInterruptedInstalls, type InstallStep } from "../../src/client/atomic-install.js";
import type { FileWrite } from "../../src/client/install-plan.js";
import { createCaCertificate, encodePem } from "../../src/pki/index.js";
import { createMemorySigner } from "../../src/signers/memory.js";
import { recordingIo, tempNode, type TempNode } from "./node-fixture.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const PAIRS = ["apiserver", "etcd/peer", "etcd/healthcheck-client"] as const;

interface FileSet {
  readonly keys: Record<string, string>;
  readonly certs: Record<string, string>;
  readonly conf: string;
}

async function makeSet(generation: string): Promise<FileSet> {
  const keys: Record<string, string> = {};
  const certs: Record<string, string> = {};
  for (const name of PAIRS) {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const signer = createMemorySigner("ECDSA-P256", { key: privateKey });
    const now = Date.now();
    const der = await createCaCertificate({ commonName: `${name} ${generation}`, signer, serial: new Uint8Array([1]), notBefore: new Date(now - 60_000), notAfter: new Date(now + 86400_000) });
    keys[name] = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    certs[name] = encodePem("CERTIFICATE", der);
  }
  return { keys, certs, conf: `apiVersion: v1\nkind: Config\n# ${generation}\n` };
}

/** The writes `kubeca renew` plans for this set: each pair's key before its certificate, then the kubeconfig. */
function writesOf(node: TempNode, set: FileSet): FileWrite[] {
  return [
    ...PAIRS.flatMap((name): FileWrite[] => [
      { path: join(node.certDir, `${name}.key`), content: set.keys[name]!, mode: 0o600, kind: "key", name },
      { path: join(node.certDir, `${name}.crt`), content: set.certs[name]!, mode: 0o644, kind: "certificate", name },
    ]),
    { path: join(node.kubeconfigDir, "admin.conf"), content: set.conf, mode: 0o600, kind: "kubeconfig", name: "admin.conf" },
  ];
}

async function writePlain(writes: readonly FileWrite[]): Promise<void> {
  for (const w of writes) {
    await mkdir(dirname(w.path), { recursive: true });
    await writeFile(w.path, w.content, { mode: w.mode });
  }
}

/** What the node holds now: which pairs do not match, and which generation each file is from. */
async function inspect(node: TempNode, old: FileSet, next: FileSet): Promise<{ mixed: string[]; generations: Set<string>; leftovers: string[] }> {
  const mixed: string[] = [];
  const generations = new Set<string>();
  const generation = (text: string, o: string, n: string) => (text === o ? "old" : text === n ? "new" : "corrupt");
  for (const name of PAIRS) {
    const key = await readFile(join(node.certDir, `${name}.key`), "utf8");
    const crt = await readFile(join(node.certDir, `${name}.crt`), "utf8");
    const keyPub = createPublicKey(key).export({ format: "der", type: "spki" });
    const crtPub = new X509Certificate(crt).publicKey.export({ format: "der", type: "spki" });
    if (!keyPub.equals(crtPub)) mixed.push(name);
    generations.add(generation(crt, old.certs[name]!, next.certs[name]!));
    generations.add(generation(key, old.keys[name]!, next.keys[name]!));
  }
  generations.add(generation(await readFile(join(node.kubeconfigDir, "admin.conf"), "utf8"), old.conf, next.conf));
  const leftovers: string[] = [];
  for (const dir of [node.kubeconfigDir, node.certDir, join(node.certDir, "etcd")]) {
    for (const f of await readdir(dir)) if (f.includes(".kubeca-")) leftovers.push(join(dir, f));
  }
  return { mixed, generations, leftovers };
}

function runChild(childJs: string, plan: object, dir: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const planFile = join(dir, "plan.json");
    writeFile(planFile, JSON.stringify(plan)).then(() => {
      execFile(process.execPath, [childJs, planFile], (error, stdout) => {
        if (error && error.signal === undefined && typeof error.code !== "number") return reject(error);
        resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, signal: error?.signal ?? null, stdout });
      });
    }, reject);
  });
}

let childJs: string;
let buildDir: string;
before(async () => {
  // The installer child as one plain JavaScript file: dozens of kills cost a Node start each, not a tsx one.
  buildDir = await mkdtemp(join(tmpdir(), "kubeca-install-child-"));
  childJs = join(buildDir, "install-child.mjs");
  await build({ entryPoints: [fileURLToPath(new URL("./install-child.ts", import.meta.url))], bundle: true, platform: "node", format: "esm", target: "node20", outfile: childJs, logLevel: "silent" });
});
after(() => rm(buildDir, { recursive: true, force: true }));

let node: TempNode;
let old: FileSet;
let next: FileSet;
beforeEach(async () => {
  node = await tempNode();
  [old, next] = [await makeSet("old"), await makeSet("new")];
  await writePlain(writesOf(node, old));
});
afterEach(() => node.remove());

const backupRoot = () => join(node.kubeconfigDir, "tmp");
const plan = (killAt: number) => ({ backupRoot: backupRoot(), writes: writesOf(node, next), killAt });

/** Kills the installer at `killAt` on a fresh copy of the old set; returns what the kill left. */
async function crashAt(killAt: number): Promise<{ killed: boolean; steps?: number }> {
  await rm(backupRoot(), { recursive: true, force: true });
  await writePlain(writesOf(node, old));
  const run = await runChild(childJs, plan(killAt), node.root);
  if (run.signal === "SIGKILL") return { killed: true };
  assert.equal(run.code, 0, "the installer either finished or was killed");
  return { killed: false, steps: JSON.parse(run.stdout).steps };
}

/**
 * The step number (1-based, as the child counts) of the first operation `match` accepts, read from a
 * recorded run of the same install on this node; the node is put back to the old set afterwards.
 */
async function stepOf(match: (step: InstallStep) => boolean): Promise<number> {
  const recorded: InstallStep[] = [];
  const hooks = { step: (s: InstallStep) => void recorded.push(s) };
  // From exactly where crashAt starts the child: no backups yet, the old set in place.
  await rm(backupRoot(), { recursive: true, force: true });
  await writePlain(writesOf(node, old));
  await installAtomically(writesOf(node, next), await createBackupDir(backupRoot(), new Date(), hooks), hooks);
  await rm(backupRoot(), { recursive: true, force: true });
  await writePlain(writesOf(node, old));
  const index = recorded.findIndex(match);
  assert.ok(index >= 0, "no such step");
  return index + 1;
}

/** A kill between apiserver.key's rename and apiserver.crt's: the power cut the issue describes. */
async function crashWithApiserverMixed(): Promise<void> {
  const crash = await crashAt(await stepOf((s) => s.op === "rename" && s.to.endsWith("apiserver.crt")));
  assert.ok(crash.killed);
  assert.deepEqual((await inspect(node, old, next)).mixed, ["apiserver"]);
}

describe("an install killed at every step", () => {
  it("leaves at most one mixed pair, and kubeca recover leaves every pair matching and the set wholly old", async () => {
    let killAt = 1;
    let sawMixed = 0;
    for (;; killAt++) {
      const crash = await crashAt(killAt);
      if (!crash.killed) {
        assert.equal(crash.steps, killAt - 1, "every step was visited: the run without a kill took exactly as many");
        break;
      }
      const left = await inspect(node, old, next);
      assert.ok(left.mixed.length <= 1, `killed at step ${killAt}: ${left.mixed.join(", ")} mixed (at most one pair may be)`);
      if (left.mixed.length === 1) sawMixed++;
      const io = recordingIo();
      assert.equal(await recoverCommand.run(["--kubeconfig-dir", node.kubeconfigDir], io.io), 0, io.stderr());
      const after = await inspect(node, old, next);
      assert.deepEqual(after.mixed, [], `killed at step ${killAt}: pairs still mixed after recovery`);
      assert.deepEqual([...after.generations], ["old"], `killed at step ${killAt}: not wholly old after recovery`);
      assert.deepEqual(after.leftovers, [], `killed at step ${killAt}: temporary files left`);
      const again = recordingIo();
      assert.equal(await recoverCommand.run(["--kubeconfig-dir", node.kubeconfigDir], again.io), 0);
      assert.equal(again.stdout(), "", "a second recovery has nothing to do");
    }
    assert.ok(killAt > 30, `only ${killAt - 1} steps`);
    assert.equal(sawMixed, 3, "each pair was caught mixed once (between its key's rename and its certificate's)");
    const done = await inspect(node, old, next);
    assert.deepEqual([...done.generations], ["new"], "the run that was not killed installed the whole new set");
    assert.deepEqual(done.mixed, []);
  });
});

describe("the recovery unit and kubeca status", () => {
  it("kubeca-recover.service runs before kubelet.service, and its command, run by the kubeca bin, repairs the node", async () => {
    const unit = await readFile(join(repo, "infra", "node", "kubeca-recover.service"), "utf8");
    const value = (key: string) => unit.match(new RegExp(`^${key}=(.*)$`, "m"))?.[1];
    assert.equal(value("Before"), "kubelet.service");
    assert.equal(value("WantedBy"), "kubelet.service");
    assert.equal(value("Type"), "oneshot");
    const condition = value("ConditionPathExistsGlob")!;
    const exec = value("ExecStart")!.split(" ");
    assert.equal(exec[0], "/usr/local/bin/kubeca");

    await crashWithApiserverMixed();
    const backups = await readdir(backupRoot());
    assert.ok(backups.some((b) => `/etc/kubernetes/tmp/${b}`.startsWith(condition.replace("*", ""))), "the unit's condition matches the backup folder");
    const args = exec.slice(1).map((a) => a.replace("/etc/kubernetes", node.kubeconfigDir));
    const run = await promisify(execFile)(process.execPath, [join(repo, "bin", "kubeca.js"), ...args]);
    assert.match(run.stdout, /^an install interrupted on \S+ was rolled back from .*kubeca-backup-/);
    const after = await inspect(node, old, next);
    assert.deepEqual({ mixed: after.mixed, generations: [...after.generations] }, { mixed: [], generations: ["old"] });
  });

  it("kubeca status rolls back an interrupted install before it reads the certificates, and says so on stderr", async () => {
    await crashWithApiserverMixed();
    const io = recordingIo();
    await statusCommand.run(["--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir], io.io);
    assert.match(io.stderr(), /an install interrupted on \S+ was rolled back from/);
    assert.deepEqual((await inspect(node, old, next)).mixed, []);
  });

  it("kubeca status that cannot repair says plainly that kubeca recover must be run, and exits 1", async () => {
    await crashWithApiserverMixed();
    const [backup] = await readdir(backupRoot());
    // The backup of apiserver.crt is gone (a disk error): the rollback cannot complete.
    const crtBackup = join(backupRoot(), backup!, "files", join(node.certDir, "apiserver.crt").replace(/^\//, ""));
    await rm(crtBackup);
    const io = recordingIo();
    assert.equal(await statusCommand.run(["--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir], io.io), 1);
    assert.match(io.stderr(), /kubeca status: an interrupted install under .* could not be repaired \(ENOENT\); the certificates and keys may not match until 'kubeca recover' succeeds \(run it as root\)/);
    const recover = recordingIo();
    assert.equal(await recoverCommand.run(["--kubeconfig-dir", node.kubeconfigDir], recover.io), 1);
  });
});

describe("the node lock held by another process", () => {
  it("kubeca status leaves the repair to the holder and recover refuses; once it is gone, recover repairs", async () => {
    await crashWithApiserverMixed();
    // Any flock holder counts, here flock(1) itself: the lock is the kernel's, whoever takes it.
    const lockPath = join(backupRoot(), "kubeca.lock");
    const holder = spawn("flock", ["--exclusive", lockPath, "-c", "echo locked; exec cat"], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on("data", (d: Buffer) => (String(d).includes("locked") ? resolve() : undefined));
        holder.on("exit", () => reject(new Error("flock exited before locking")));
      });
      const status = recordingIo();
      // Exit 1 only because this test node lacks most of kubeadm's files (due), never "busy" or "could not be repaired".
      assert.equal(await statusCommand.run(["--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir], status.io), 1);
      assert.doesNotMatch(status.stderr(), /could not be repaired/);
      assert.match(status.stderr(), /^kubeca status: renewal due/m);
      assert.match(status.stderr(), new RegExp(`^kubeca status: another kubeca process holds the lock \\(it has not named itself yet\\); no interrupted install was repaired, that run handles its own \\(lock ${lockPath}\\)$`, "m"));
      assert.deepEqual((await inspect(node, old, next)).mixed, ["apiserver"], "status repaired nothing under the lock");
      const recover = recordingIo();
      assert.equal(await recoverCommand.run(["--kubeconfig-dir", node.kubeconfigDir], recover.io), 5);
      assert.match(recover.stderr(), /^kubeca recover: another kubeca process holds the lock \(it has not named itself yet\); nothing was done: wait for it to finish and run again \(lock .*kubeca\.lock\)\n$/);
      assert.deepEqual((await inspect(node, old, next)).mixed, ["apiserver"]);
    } finally {
      holder.kill("SIGKILL");
      await once(holder, "exit").catch(() => undefined);
    }
    const recover = recordingIo();
    assert.equal(await recoverCommand.run(["--kubeconfig-dir", node.kubeconfigDir], recover.io), 0);
    assert.match(recover.stdout(), /^an install interrupted on \S+ was rolled back/);
    assert.deepEqual([...(await inspect(node, old, next)).generations], ["old"]);
  });
});

describe("an install still running in another process", () => {
  it("is left alone by recovery, renew refuses to start beside it, and it is rolled back once its process is gone", async () => {
    // Pause the installer between apiserver.key's rename and apiserver.crt's.
    const pauseAt = await stepOf((s) => s.op === "rename" && s.to.endsWith("apiserver.crt"));
    const planFile = join(node.root, "plan.json");
    await writeFile(planFile, JSON.stringify({ ...plan(0), pauseAt }));
    const child = spawn(process.execPath, [childJs, planFile], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => (String(d).includes("paused") ? resolve() : undefined));
        child.on("exit", () => reject(new Error("the installer exited before pausing")));
      });
      assert.deepEqual((await inspect(node, old, next)).mixed, ["apiserver"]);
      const io = recordingIo();
      assert.equal(await recoverCommand.run(["--kubeconfig-dir", node.kubeconfigDir], io.io), 0);
      assert.match(io.stdout(), /^an install started on \S+ is still running \(.*kubeca-backup-.*\); left alone\n$/);
      assert.deepEqual((await inspect(node, old, next)).mixed, ["apiserver"], "nothing was rolled back under the running install");
      const found = await findInterruptedInstalls(backupRoot());
      assert.deepEqual(found.map((f) => [f.state, f.running]), [["installing", true]]);
      // A second renew (the timer beside a hand-run one) changes nothing and says why.
      const tokenFile = join(node.root, "token");
      await writeFile(tokenFile, "t0ken\n");
      const renew = recordingIo();
      const renewArgs = ["--server", "https://127.0.0.1:9", "--token-file", tokenFile, "--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir];
      assert.equal(await renewCommand.run(renewArgs, renew.io), 5);
      assert.match(renew.stderr(), /^kubeca renew: another kubeca renew is installing \(journal in .*kubeca-backup-.*\); nothing was done: wait for it to finish and run again \(lock .*kubeca\.lock\)\n$/);
      assert.deepEqual((await inspect(node, old, next)).mixed, ["apiserver"]);
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit").catch(() => undefined);
    }
    const io = recordingIo();
    assert.equal(await recoverCommand.run(["--kubeconfig-dir", node.kubeconfigDir], io.io), 0);
    assert.match(io.stdout(), /^an install interrupted on \S+ was rolled back/);
    assert.deepEqual([...(await inspect(node, old, next)).generations], ["old"]);
  });
});

describe("the fsync order", () => {
  /** Fails at the first journal transition made while a directory change before it was not yet fsynced. */
  function assertJournalTrue(steps: readonly InstallStep[]): string[] {
    const pending = new Map<string, string[]>();
    const change = (path: string, what: string) => pending.set(dirname(path), [...(pending.get(dirname(path)) ?? []), what]);
    const transitions: string[] = [];
    for (const step of steps) {
      switch (step.op) {
        case "mkdir":
        case "write":
        case "unlink":
          change(step.path, `${step.op} ${step.path}`);
          break;
        case "rename":
          change(step.from, `rename from ${step.from}`);
          change(step.to, `rename to ${step.to}`);
          break;
        case "sync-dir":
          pending.delete(step.path);
          break;
        case "journal": {
          const unsynced = [...pending.values()].flat();
          assert.deepEqual(unsynced, [], `the journal says "${step.state}" while these are not on disk`);
          transitions.push(step.state);
          break;
        }
      }
    }
    return transitions;
  }

  it("every journal state is written only once what it relies on is on disk: install, failed install, recovery", async () => {
    const recorded: InstallStep[] = [];
    const hooks = { step: (s: InstallStep) => void recorded.push(s) };
    await installAtomically(writesOf(node, next), await createBackupDir(backupRoot(), new Date(), hooks), hooks);
    assert.deepEqual(assertJournalTrue(recorded), ["prepared", "installing", "done"]);

    // A failed install puts files back: the restores are on disk before "rolled-back".
    recorded.length = 0;
    let renames = 0;
    const failing = {
      step(s: InstallStep) {
        recorded.push(s);
        if (s.op === "rename" && !s.from.endsWith(".kubeca-restore") && ++renames === 4) throw new Error("EIO (injected)");
      },
    };
    await assert.rejects(installAtomically(writesOf(node, old), await createBackupDir(backupRoot(), new Date(Date.now() + 1000), failing), failing), /EIO \(injected\)/);
    assert.deepEqual(assertJournalTrue(recorded), ["prepared", "installing", "rolled-back"]);
    assert.deepEqual([...(await inspect(node, old, next)).generations], ["new"]);

    // A recovery of a killed install.
    await crashWithRenamesDone(4);
    recorded.length = 0;
    assert.equal((await recoverInterruptedInstalls(backupRoot(), hooks)).length, 1);
    assert.deepEqual(assertJournalTrue(recorded), ["rolled-back"]);
  });

  /** Kills the child just before its install rename number `n` (0-based). */
  async function crashWithRenamesDone(n: number): Promise<void> {
    let renames = 0;
    const crash = await crashAt(await stepOf((s) => s.op === "rename" && renames++ === n));
    assert.ok(crash.killed);
  }
});
