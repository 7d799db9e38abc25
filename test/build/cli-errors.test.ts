// What an operator sees when a command meets the world as it is: a port in use, a file missing or
// unreadable, a bad kubeconfig, a server that does not answer, permission denied. The built CLI must
// answer each with one message that says what went wrong and what to do, the documented exit code
// (2 usage or config, 3 unavailable), and never a stack frame.
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { flockNotInstalled } from "../../src/client/node-lock.js";
import { COMMANDS, reportError } from "../../src/cli/main.js";
import { writeKubeletSignerFiles } from "../kubelet/command-fixture.js";
import { built, BUILT, node22 } from "../support/built.js";
import { writeGenerateCsrLayout } from "../support/kubeadm-layout.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { run, type Finished } from "../support/processes.js";

const STACK_FRAME = /^\s+at .*(:\d+:\d+\)?$|\(node:|\(file:)/m;
// On a root machine, permission checks need another user; elsewhere the tests already run as one.
const NOBODY = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

let dir: string;
let kms: KmsServer;
let busy: Server;
let busyPort: number;
let closedPort: number;

function kubeca(args: string[], options: { uid?: number; gid?: number } = {}): Promise<Finished> {
  const env = { PATH: process.env.PATH ?? "", HOME: dir, AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_EC2_METADATA_DISABLED: "true" };
  return run(node22(), [built(BUILT.cli), ...args], { cwd: dir, env, timeoutMs: 60_000, ...options });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kubeca-cli-errors-"));
  await chmod(dir, 0o755);
  kms = await startKmsServer();
  // The fixture makes the CA through the KMS server with the SDK's standard credentials chain.
  process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
  process.env.AWS_SECRET_ACCESS_KEY = "secret";
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  busyPort = (busy.address() as { port: number }).port;
  closedPort = await freePort();
  // A valid kubelet-signer setup whose apiserver is a port nobody listens on.
  await writeKubeletSignerFiles(dir, kms, `http://127.0.0.1:${closedPort}`, "nodeWaitSeconds: 0");
  await writeFile(join(dir, "token"), "a-token\n");
  await writeFile(join(dir, "malformed-kubeconfig"), "apiVersion: v1\nclusters: [ {\n");
  await writeFile(join(dir, "no-cluster-kubeconfig"), "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
  await writeFile(join(dir, "secret.yaml"), "apiVersion: kubeca.dev/v1alpha1\n", { mode: 0o600 });
  const node = join(dir, "node");
  await writeGenerateCsrLayout({ certDir: join(node, "pki"), kubeconfigDir: node, keyAlgorithm: "ECDSA-P256", names: ["apiserver", "admin.conf"] });
  await mkdir(join(dir, "locked"), { mode: 0o700 });
});

after(async () => {
  await new Promise<void>((resolve) => busy.close(() => resolve()));
  await kms.close();
  await rm(dir, { recursive: true, force: true });
});

interface Case {
  readonly args: () => string[];
  readonly exit: number;
  readonly stderr: RegExp;
  readonly asNobody?: boolean;
}

const CASES: Record<string, Case> = {
  "serve on a port in use": { args: () => ["serve", "--dev", "--port", String(busyPort)], exit: 3, stderr: /127\.0\.0\.1:\d+ is already in use \(EADDRINUSE\)\nhint: Stop the process that holds the port/ },
  "serve in one process on a port in use": { args: () => ["serve", "--dev", "--workers", "1", "--port", String(busyPort)], exit: 3, stderr: /127\.0\.0\.1:\d+ is already in use \(EADDRINUSE\)/ },
  "serve with no workers": { args: () => ["serve", "--dev", "--workers", "0"], exit: 2, stderr: /--workers must be a whole number from 1 to 256 \(1: one process, no workers\), not "0"/ },
  "serve with a missing config": { args: () => ["serve", "--config", "nope.yaml"], exit: 2, stderr: /cannot read config .*nope\.yaml.*\nhint: Check the path/ },
  "serve with a config it may not read": { args: () => ["serve", "--config", "secret.yaml"], exit: 2, stderr: /cannot read config .*secret\.yaml: EACCES.*\nhint: Run as a user that may read/, asNobody: true },
  "serve with a directory as config": { args: () => ["serve", "--config", "."], exit: 2, stderr: /EISDIR.*\nhint: Name the file itself/ },
  "serve with a missing TLS certificate": { args: () => ["serve", "--config", "kubeca.yaml", "--tls-cert", "tls.crt", "--tls-key", "tls.key"], exit: 2, stderr: /tls\.crt: no such file or directory\nhint: Check the path/ },
  "serve --dev with a dev dir it may not write": { args: () => ["serve", "--dev", "--dev-dir", "locked/dev"], exit: 2, stderr: /permission denied: mkdir .*locked\/dev.* \(EACCES\)\nhint: Run as a user/, asNobody: true },
  "kubelet-signer with a missing kubeconfig": { args: () => ["kubelet-signer", "--config", "kubeca.yaml", "--kubeconfig", "nope"], exit: 2, stderr: /--kubeconfig nope: nope: no such file or directory/ },
  "kubelet-signer with a malformed kubeconfig": { args: () => ["kubelet-signer", "--config", "kubeca.yaml", "--kubeconfig", "malformed-kubeconfig"], exit: 2, stderr: /--kubeconfig malformed-kubeconfig: not a kubeconfig/ },
  "kubelet-signer with a kubeconfig that names no cluster": { args: () => ["kubelet-signer", "--config", "kubeca.yaml", "--kubeconfig", "no-cluster-kubeconfig"], exit: 2, stderr: /names no cluster/ },
  "kubelet-signer --once with an unreachable apiserver": { args: () => ["kubelet-signer", "--config", "kubeca.yaml", "--kubeconfig", "kubeconfig", "--once"], exit: 3, stderr: /ECONNREFUSED|connect/ },
  "kubelet-signer with its health port in use": { args: () => ["kubelet-signer", "--config", "kubeca.yaml", "--kubeconfig", "kubeconfig", "--health-port", String(busyPort)], exit: 3, stderr: /:\d+ is already in use \(EADDRINUSE\)/ },
  "renew with an unreachable server": { args: () => ["renew", "--server", `http://127.0.0.1:${closedPort}`, "--token-file", "token", "--cert-dir", "node/pki", "--kubeconfig-dir", "node"], exit: 3, stderr: /nothing was installed/ },
  "renew with a missing token file": { args: () => ["renew", "--server", `http://127.0.0.1:${closedPort}`, "--token-file", "nope"], exit: 2, stderr: /--token-file: cannot read nope \(ENOENT\)/ },
  // The node lock comes first: its folder, <kubeconfig-dir>/tmp, is the first thing renew touches.
  "renew into folders it may not read": { args: () => ["renew", "--server", `http://127.0.0.1:${closedPort}`, "--token-file", "token", "--cert-dir", "locked/pki", "--kubeconfig-dir", "locked"], exit: 2, stderr: /kubeca renew: permission denied: mkdir locked\/tmp \(EACCES\)\nhint: Run as a user that may read and write these files \(root for \/etc\/kubernetes\)/, asNobody: true },
  "recover in folders it may not read": { args: () => ["recover", "--kubeconfig-dir", "locked"], exit: 1, stderr: /kubeca recover: an interrupted install under .*locked\/tmp could not be repaired \(EACCES\); .*run it as root/, asNobody: true },
  "ca keygen with a PKCS#11 module that is not there": { args: () => ["ca", "keygen", "--pkcs11", "--module", "/nonexistent/libpkcs11.so", "--token-label", "kubeca", "--pin-env", "HOME", "--label", "ca"], exit: 2, stderr: /cannot load the PKCS#11 module \/nonexistent\/libpkcs11\.so; check the signer's module path/ },
  "ca rotate prepare with an unreachable server": { args: () => ["ca", "rotate", "prepare", "--ca", "ca", "--server", `http://127.0.0.1:${closedPort}`, "--token-file", "token"], exit: 3, stderr: /kubeca ca rotate prepare: cannot reach http:\/\/127\.0\.0\.1:\d+: .*; nothing was changed\nhint: check --server/ },
  "ca rotate advance with a missing token file": { args: () => ["ca", "rotate", "advance", "--ca", "ca", "--server", `http://127.0.0.1:${closedPort}`, "--token-file", "nope"], exit: 2, stderr: /--token-file: cannot read nope \(ENOENT\)/ },
  "ca rotate abort without --ca": { args: () => ["ca", "rotate", "abort", "--server", `http://127.0.0.1:${closedPort}`, "--token-file", "token"], exit: 2, stderr: /--ca NAME is required \(ca, etcd-ca, front-proxy-ca\)/ },
  "node retire with an unreachable server": { args: () => ["node", "retire", "cp-9", "--reason", "decommissioned", "--server", `http://127.0.0.1:${closedPort}`, "--token-file", "token"], exit: 3, stderr: /kubeca node retire: cannot reach http:\/\/127\.0\.0\.1:\d+: .*; nothing was changed\nhint: check --server/ },
  "node retire without --reason": { args: () => ["node", "retire", "cp-9", "--server", `http://127.0.0.1:${closedPort}`, "--token-file", "token"], exit: 2, stderr: /--reason TEXT is required: why the node is retired/ },
  "node retire without a name": { args: () => ["node", "retire", "--reason", "gone", "--server", `http://127.0.0.1:${closedPort}`, "--token-file", "token"], exit: 2, stderr: /the node's NAME is required/ },
  "node retire with a missing token file": { args: () => ["node", "retire", "cp-9", "--reason", "gone", "--server", `http://127.0.0.1:${closedPort}`, "--token-file", "nope"], exit: 2, stderr: /--token-file: cannot read nope \(ENOENT\)/ },
  "ca rotate status with an unreachable server": { args: () => ["ca", "rotate", "status", "--server", `http://127.0.0.1:${closedPort}`, "--token-file", "token"], exit: 3, stderr: /kubeca ca rotate status: cannot reach .*; nothing was changed/ },
  "token create against a missing config": { args: () => ["token", "create", "--node", "cp-1", "--config", "nope.yaml"], exit: 2, stderr: /cannot read config .*nope\.yaml: ENOENT.*\nhint: Check the path/ },
  "ca init with a missing config": { args: () => ["ca", "init", "--config", "nope.yaml"], exit: 2, stderr: /nope\.yaml.*no such file/ },
  "audit list of a missing log": { args: () => ["audit", "list", "--file", "nope.jsonl"], exit: 2, stderr: /no audit log file at .*nope\.jsonl/ },
  "audit inventory of a missing log": { args: () => ["audit", "inventory", "--file", "nope.jsonl"], exit: 2, stderr: /no audit log file at .*nope\.jsonl/ },
  "audit export to a folder it may not write": { args: () => ["audit", "export", "--file", "audit.jsonl", "--format", "jsonl", "--out", "locked/out.jsonl"], exit: 2, stderr: /--out .*locked\/out\.jsonl: EACCES: permission denied/, asNobody: true },
  "policy check of a missing file": { args: () => ["policy", "check", "nope.yaml"], exit: 2, stderr: /cannot read nope\.yaml: ENOENT/ },
};

describe("the built CLI's expected failures", () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: one message, exit ${c.exit}, no stack frame`, async () => {
      if (name === "audit export to a folder it may not write") await writeFile(join(dir, "audit.jsonl"), "");
      const r = await kubeca(c.args(), c.asNobody ? NOBODY : {});
      assert.doesNotMatch(r.stderr, STACK_FRAME, r.stderr);
      assert.match(r.stderr, c.stderr, r.stderr);
      assert.equal(r.code, c.exit, r.stderr);
    });
  }
  it("covers every command that reads files, listens or connects", () => {
    const covered = new Set(Object.values(CASES).map((c) => c.args().slice(0, 3).join(" ")));
    for (const command of COMMANDS.filter((c) => !["version", "status", "ca show", "audit verify"].includes(c.path.join(" ")))) {
      assert.ok([...covered].some((k) => k.startsWith(command.path.join(" "))), `${command.path.join(" ")} has a failure case`);
    }
  });
});

describe("an unexpected error", () => {
  function io() {
    const stderr = new PassThrough();
    let text = "";
    stderr.on("data", (d) => (text += String(d)));
    return { io: { stdout: new PassThrough(), stderr, env: {}, cwd: dir }, text: () => text };
  }
  const serve = COMMANDS.find((c) => c.path[0] === "serve")!;

  it("prints one line and where its full detail went, a file only this user can read", async () => {
    const out = io();
    const code = reportError(new TypeError("Cannot read properties of undefined (reading 'x')"), serve, out.io);
    assert.equal(code, 1);
    const m = /^kubeca serve: unexpected error: Cannot read properties of undefined \(reading 'x'\)\nthe full detail is in (\S+); run again with --debug to print it\n$/.exec(out.text());
    assert.ok(m, out.text());
    assert.doesNotMatch(out.text(), STACK_FRAME);
    assert.equal((await stat(m[1]!)).mode & 0o777, 0o600);
    assert.match(await readFile(m[1]!, "utf8"), STACK_FRAME);
    await rm(m[1]!);
  });

  it("names a program kubeca runs that is not installed (flock for the node lock), with what to do, exit 2", () => {
    const out = io();
    const renew = COMMANDS.find((c) => c.path.join(" ") === "renew")!;
    assert.equal(reportError(flockNotInstalled("/etc/kubernetes/tmp/kubeca.lock"), renew, out.io), 2);
    assert.equal(
      out.text(),
      "kubeca renew: cannot lock /etc/kubernetes/tmp/kubeca.lock: the flock command (util-linux) is not installed (looked for /usr/bin/flock, /bin/flock)\n" +
        "hint: Install the program it names with the system's package manager, then run again.\n",
    );
  });

  it("with --debug prints the stack trace", () => {
    const out = io();
    assert.equal(reportError(new Error("boom"), serve, out.io, true), 1);
    assert.match(out.text(), /^kubeca serve: unexpected error: Error: boom\n/);
    assert.match(out.text(), STACK_FRAME);
  });
});
