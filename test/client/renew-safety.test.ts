// kubeca renew must never leave a node half-renewed or renewed by the wrong CA. Each test starts from
// a node installed by a first run and a staged generate-csr set (the timer's renewal), then breaks
// one thing.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { execFile } from "node:child_process";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createRenewCommand, renewCommand } from "../../src/cli/commands/renew.js";
import { recoverInterruptedInstalls, type InstallHooks } from "../../src/client/index.js";
import { kubeadmCsr, kubeadmKey, SPEC_FILES, specFile, writeGenerateCsrLayout } from "../support/kubeadm-layout.js";
import { checkInstalled, exists } from "./installed-node-checks.js";
import { recordingIo, snapshot, tempNode, type TempNode } from "./node-fixture.js";
import { startSigningService, type RunningService } from "./signing-service.js";

let node: TempNode;
let service: RunningService;
const services: RunningService[] = [];

function args(s: RunningService, ...extra: string[]): string[] {
  return ["--server", s.url, "--token-file", s.tokenFile, "--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir, "--csr-dir", node.stageDir, ...extra];
}

/** The live node, without kubeca's backup folder. */
const liveNode = () => snapshot(node.kubeconfigDir, ["tmp"]);

/** Hooks that run `act` before the install's rename number `n` (0-based; restores do not count). */
function atInstallRename(n: number, act: () => void | Promise<void>): InstallHooks {
  let renames = 0;
  return {
    step(step) {
      if (step.op !== "rename" || step.from.endsWith(".kubeca-restore")) return;
      if (renames++ === n) return act();
    },
  };
}

async function backupDirs(): Promise<string[]> {
  const root = join(node.kubeconfigDir, "tmp");
  return (await readdir(root).catch(() => [] as string[])).filter((n) => n.startsWith("kubeca-backup-")).map((n) => join(root, n));
}

beforeEach(async () => {
  node = await tempNode();
  service = await startSigningService(join(node.root, "a"));
  services.push(service);
  await writeGenerateCsrLayout({ certDir: node.certDir, kubeconfigDir: node.kubeconfigDir, keyAlgorithm: "ECDSA-P256" });
  const first = recordingIo();
  assert.equal(await renewCommand.run(args(service), first.io), 0, first.stderr());
  // The renewal the timer prepares: generate-csr into a staging folder.
  await writeGenerateCsrLayout({ certDir: join(node.stageDir, "pki"), kubeconfigDir: node.stageDir, keyAlgorithm: "ECDSA-P256" });
});

afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  await node.remove();
});

describe("kubeca renew safety", () => {
  it("a service whose CA differs from the node's ca.crt installs nothing, sends nothing, and says which CA", async () => {
    const other = await startSigningService(join(node.root, "b"));
    services.push(other);
    const before = await liveNode();
    const out = recordingIo();
    const code = await renewCommand.run(args(other), out.io);
    assert.equal(code, 1);
    assert.equal(other.batches(), 0, "no CSR was sent to the wrong service");
    assert.deepEqual(await liveNode(), before);
    const nodeCa = new X509Certificate(await readFile(join(node.certDir, "ca.crt")));
    const otherCa = new X509Certificate(other.caPem.ca);
    assert.match(out.stdout(), /nothing installed: CA mismatch: the service's ca \(CN=kubernetes, SHA-256 ([0-9A-F:]+)\) is not the CA in (\S+) \(CN=kubernetes, SHA-256 ([0-9A-F:]+)\)/);
    assert.ok(out.stdout().includes(otherCa.fingerprint256) && out.stdout().includes(nodeCa.fingerprint256));
    assert.ok(out.stdout().includes(join(node.certDir, "ca.crt")));
    assert.ok(await exists(join(node.stageDir, "pki", "apiserver.csr")), "the staged CSRs stay for a retry");
  });

  it("a failure injected between two files leaves the old set intact and the backup complete", async () => {
    const before = await liveNode();
    const faulty = createRenewCommand({
      installHooks: atInstallRename(5, () => {
        throw new Error("No space left on device (injected)");
      }),
    });
    const out = recordingIo();
    const code = await faulty.run(args(service), out.io);
    assert.equal(code, 1);
    assert.match(out.stderr(), /install failed at .* \(No space left on device \(injected\)\); the 5 file\(s\) already replaced were put back/);
    assert.deepEqual(await liveNode(), before, "every live file has its old bytes and mode");

    // The backup holds every file the install was about to replace (7 .crt, 7 staged keys, 5 kubeconfigs).
    const dirs = await backupDirs();
    assert.equal(dirs.length, 2, "the first setup's backup and this one");
    const backup = dirs.sort().at(-1)!;
    const backedUp = await snapshot(join(backup, "files"));
    const expected = [
      ...SPEC_FILES.filter((s) => s.kind === "pki").flatMap((s) => [`pki/${s.name}.crt`, `pki/${s.name}.key`]),
      ...SPEC_FILES.filter((s) => s.kind === "kubeconfig").map((s) => s.name),
    ].sort();
    const prefix = node.kubeconfigDir.replace(/^\//, "") + "/";
    assert.deepEqual([...backedUp.keys()].map((k) => k.slice(prefix.length)).sort(), expected);
    for (const [rel, state] of backedUp) assert.deepEqual(state, before.get(rel.slice(prefix.length)), rel);
    const journal = JSON.parse(await readFile(join(backup, "kubeca-install.json"), "utf8"));
    assert.equal(journal.state, "rolled-back");
    assert.ok(await exists(join(node.stageDir, "pki", "apiserver.csr")), "the staged CSRs stay for a retry");

    // The retry succeeds.
    const retry = recordingIo();
    assert.equal(await renewCommand.run(args(service), retry.io), 0, retry.stderr());
    for (const spec of SPEC_FILES) await checkInstalled(node, spec.name, service.caPem);
  });

  it("a crash in the middle of the renames is rolled back from the journal on the next run", async () => {
    const before = await liveNode();
    // A real process killed before its eighth rename: the kernel frees its node lock, as a crash would.
    const planFile = join(node.root, "crash-plan.json");
    await writeFile(planFile, JSON.stringify({ argv: args(service), killAtRename: 8 }));
    const crash = await new Promise<string | null>((resolve) => {
      const child = execFile(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./rotation-renew-child.ts", import.meta.url)), planFile], { timeout: 120_000 });
      child.on("exit", (_code, signal) => resolve(signal));
    });
    assert.equal(crash, "SIGKILL");
    assert.notDeepEqual(await liveNode(), before, "seven files were already replaced");

    // The next run (here with the staged CSRs gone, so it has nothing else to do) restores the old set.
    await rm(node.stageDir, { recursive: true });
    const next = recordingIo();
    assert.equal(await renewCommand.run(args(service), next.io), 0);
    assert.match(next.stderr(), /an install interrupted on .* was rolled back from .*kubeca-backup-/);
    assert.deepEqual(await liveNode(), before);
    assert.deepEqual(await recoverInterruptedInstalls(join(node.kubeconfigDir, "tmp")), [], "repaired once");
  });

  it("a CSR that was not made with its key is named, and nothing is sent", async () => {
    const before = await liveNode();
    await writeFile(join(node.stageDir, "pki", "etcd", "peer.key"), await kubeadmKey("ECDSA-P256"));
    const out = recordingIo();
    const batches = service.batches();
    assert.equal(await renewCommand.run(args(service), out.io), 1);
    assert.equal(service.batches(), batches);
    assert.match(out.stdout(), new RegExp(`✗ etcd/peer\\s+KeyMismatch: ${join(node.stageDir, "pki", "etcd", "peer.csr")} was not made with the key in ${join(node.stageDir, "pki", "etcd", "peer.key")}`));
    assert.match(out.stdout(), /○ apiserver\s+HeldBack: not sent: another file failed its pre-flight check/);
    assert.deepEqual(await liveNode(), before);
  });

  it("a CSR whose subject is not kubeadm's for its file is named", async () => {
    // admin.conf.csr made for the scheduler's identity, with the right key.
    const partial = await readFile(join(node.stageDir, "admin.conf"), "utf8");
    const keyPem = Buffer.from(/client-key-data: (\S+)/.exec(partial)![1]!, "base64").toString();
    await writeFile(join(node.stageDir, "admin.conf.csr"), await kubeadmCsr(specFile("admin.conf"), keyPem, { cn: "system:kube-scheduler", o: [] }));
    const out = recordingIo();
    assert.equal(await renewCommand.run(args(service), out.io), 1);
    assert.match(out.stdout(), /✗ admin\.conf\s+SubjectMismatch: .*admin\.conf\.csr: subject CN is "system:kube-scheduler", but kubeadm writes CN "kubernetes-admin" for admin\.conf/);
  });

  it("a refusal by the service installs nothing; --allow-partial installs the rest and still exits 1", async () => {
    // apiserver without 10.96.0.1: kubeadm would accept such a certificate, in-cluster clients would not.
    const keyPem = await readFile(join(node.stageDir, "pki", "apiserver.key"), "utf8");
    await writeFile(join(node.stageDir, "pki", "apiserver.csr"), await kubeadmCsr({ ...specFile("apiserver"), ips: ["10.0.0.10"] }, keyPem));
    const before = await liveNode();
    const backupsBefore = (await backupDirs()).length;

    const strict = recordingIo();
    assert.equal(await renewCommand.run(args(service), strict.io), 1);
    assert.match(strict.stdout(), /✗ apiserver\s+ServiceRefused: apiserver: refused by the service: /);
    assert.match(strict.stdout(), /10\.96\.0\.1/);
    assert.match(strict.stdout(), /○ scheduler\.conf\s+HeldBack: verified but not installed/);
    assert.deepEqual(await liveNode(), before);
    assert.equal((await backupDirs()).length, backupsBefore, "not even a backup folder was made");

    const partial = recordingIo();
    assert.equal(await renewCommand.run(args(service, "--allow-partial"), partial.io), 1);
    const after = await liveNode();
    assert.deepEqual(after.get("pki/apiserver.crt"), before.get("pki/apiserver.crt"), "the refused file is untouched");
    assert.notDeepEqual(after.get("pki/etcd/server.crt"), before.get("pki/etcd/server.crt"), "the others are renewed");
    for (const spec of SPEC_FILES.filter((s) => s.name !== "apiserver")) await checkInstalled(node, spec.name, service.caPem);
    assert.ok(await exists(join(node.stageDir, "pki", "apiserver.csr")), "the refused CSR stays");
    assert.equal(await exists(join(node.stageDir, "pki", "etcd", "server.csr")), false, "spent CSRs are removed");
  });

  it("an unreadable CA file on the node stops the run before anything is sent", async () => {
    await writeFile(join(node.certDir, "front-proxy-ca.crt"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
    const before = await liveNode();
    const batches = service.batches();
    const out = recordingIo();
    assert.equal(await renewCommand.run(args(service), out.io), 1);
    assert.match(out.stdout(), /nothing installed: .*front-proxy-ca\.crt does not hold readable certificates/);
    assert.equal(service.batches(), batches);
    assert.deepEqual(await liveNode(), before);
  });
});
