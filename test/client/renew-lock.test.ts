// One kubeca renew or recover at a time on a node: real processes (a renew stopped between signing and
// installing, the CLI from the sources for the others), the real service, the real kernel lock.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { writeGenerateCsrLayout } from "../support/kubeadm-layout.js";
import { checkInstalled } from "./installed-node-checks.js";
import { snapshot, tempNode, type TempNode } from "./node-fixture.js";
import { startSigningService, type RunningService } from "./signing-service.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(repo, "src", "cli", "kubeca.ts");
const stopChild = join(repo, "test", "client", "renew-stop-child.ts");
const NAMES = ["apiserver", "etcd/peer", "admin.conf"];

let service: RunningService;
let node: TempNode;
let first: ChildProcess | undefined;

before(async () => {
  const dir = await tempNode();
  service = await startSigningService(dir.root);
});
after(() => service.close());
beforeEach(async () => {
  node = await tempNode();
  await writeGenerateCsrLayout({ certDir: node.certDir, kubeconfigDir: node.kubeconfigDir, keyAlgorithm: "ECDSA-P256", names: NAMES });
});
afterEach(async () => {
  if (first && first.exitCode === null && first.signalCode === null) {
    first.kill("SIGKILL");
    await once(first, "exit");
  }
  first = undefined;
  await node.remove();
});

const renewArgs = () => ["renew", "--server", service.url, "--token-file", service.tokenFile, "--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir];
const lockPath = () => join(node.kubeconfigDir, "tmp", "kubeca.lock");

/** The CLI from the sources; asynchronous, because the service answering it runs in this process. */
function kubeca(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", cli, ...args], { cwd: repo, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** The process state letter from /proc (T: stopped). */
async function procState(pid: number): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return text?.slice(text.lastIndexOf(")") + 2, text.lastIndexOf(")") + 3);
}

/** Starts a renew that stops itself at its first install step; resolves once it is stopped there. */
async function renewStoppedBeforeInstall(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", stopChild, ...renewArgs().slice(1)], { cwd: repo, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += String(d)));
  // Wait for the condition (stopped), not for a time: the poll only paces the checks.
  while ((await procState(child.pid!)) !== "T") {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the first renew ended before its install: ${stderr}`);
    await delay(20);
  }
  return child;
}

async function exitOf(child: ChildProcess): Promise<number | string | null> {
  if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
  return child.exitCode ?? child.signalCode;
}

describe("the node lock", () => {
  it("refuses a second renew, and recover, while a renew holds it; they change nothing; the first then installs", async () => {
    first = await renewStoppedBeforeInstall();
    const pid = first.pid!;
    const before = await snapshot(node.kubeconfigDir, ["tmp"]);
    assert.equal(before.has("pki/apiserver.crt"), false, "first setup: nothing installed yet");

    const second = await kubeca(renewArgs());
    const recover = await kubeca(["recover", "--kubeconfig-dir", node.kubeconfigDir]);
    // What matters most first: neither wrote anything, and both said they were refused.
    assert.deepEqual(await snapshot(node.kubeconfigDir, ["tmp"]), before, `the refused runs changed nothing; renew said: ${second.stderr}`);
    assert.deepEqual([second.code, recover.code], [5, 5], second.stderr + recover.stderr);

    const holder = JSON.parse(await readFile(lockPath(), "utf8")) as { pid: number; command: string; since: string };
    assert.deepEqual([holder.pid, holder.command], [pid, "kubeca renew"]);
    assert.equal((await stat(lockPath())).mode & 0o777, 0o600);
    assert.equal(
      second.stderr,
      `kubeca renew: another kubeca renew (pid ${pid}) is running since ${holder.since}; nothing was done: wait for it to finish and run again, ` +
        `or if it hangs, stop it (kill ${pid}); the next kubeca renew or recover rolls back what it left (lock ${lockPath()})\n`,
    );
    assert.equal(second.stdout, "");
    assert.match(recover.stderr, new RegExp(`^kubeca recover: another kubeca renew \\(pid ${pid}\\) is running since ${holder.since}; nothing was done: .*\\(lock ${lockPath()}\\)\\n$`));

    first.kill("SIGCONT");
    assert.equal(await exitOf(first), 0);
    for (const name of NAMES) await checkInstalled(node, name, service.caPem);
    assert.equal(await readFile(lockPath(), "utf8"), "", "released: the file names no holder");
  });

  it("is taken over from a renew killed while holding it, with a line on stderr, and the renew then installs", async () => {
    first = await renewStoppedBeforeInstall();
    const pid = first.pid!;
    const holder = JSON.parse(await readFile(lockPath(), "utf8")) as { since: string };
    first.kill("SIGKILL");
    assert.equal(await exitOf(first), "SIGKILL");

    const next = await kubeca(renewArgs());
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`^kubeca renew: took over ${lockPath()} from kubeca renew \\(pid ${pid}, since ${holder.since}\\), which did not release it \\(killed, crashed, or the node rebooted\\)$`, "m"));
    for (const name of NAMES) await checkInstalled(node, name, service.caPem);
    assert.equal(await readFile(lockPath(), "utf8"), "");
  });

  it("trusts the kernel, not the file: a file naming a live process that holds no lock is taken over", async () => {
    // This test process is alive; after a reboot a pid in an old file may name any live process.
    const stale = { pid: process.pid, bootId: "00000000-0000-0000-0000-000000000000", startTicks: "1", command: "kubeca renew", since: "2026-01-01T00:00:00.000Z" };
    await mkdir(join(node.kubeconfigDir, "tmp"), { mode: 0o700 });
    await writeFile(lockPath(), JSON.stringify(stale) + "\n", { mode: 0o600 });
    const next = await kubeca(renewArgs());
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`^kubeca renew: took over ${lockPath()} from kubeca renew \\(pid ${process.pid}, since 2026-01-01T00:00:00.000Z\\), which did not release it`, "m"));
    await checkInstalled(node, "apiserver", service.caPem);
  });
});
