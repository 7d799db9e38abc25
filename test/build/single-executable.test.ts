// dist/kubeca-linux-x64, as a control-plane node without Node.js runs it: no node on PATH, no
// node_modules; it says what it is, renews a node's kubeadm files against a development server
// (the built CLI under Node 22) and shows the result with status.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { checkInstalled } from "../client/installed-node-checks.js";
import { tempNode, type TempNode } from "../client/node-fixture.js";
import { built, BUILT, node22 } from "../support/built.js";
import { writeGenerateCsrLayout } from "../support/kubeadm-layout.js";
import { run, startDevServer, type DevServer } from "../support/processes.js";

// Nothing from this machine's Node.js: the executable must carry its own.
const NO_NODE_ENV = { PATH: "/nonexistent", HOME: "/nonexistent" };

describe("the single executable", () => {
  let node: TempNode;
  let server: DevServer;
  before(async () => {
    node = await tempNode();
    server = await startDevServer(node22(), built(BUILT.cli), join(node.root, "dev"));
  });
  after(async () => {
    await server?.stop();
    await node?.remove();
  });

  it("is an ELF executable that reports its version, commit, embedded Node 22 and that it is a single executable", async () => {
    const exe = built(BUILT.executable);
    assert.equal((await stat(exe)).mode & 0o111, 0o111);
    assert.deepEqual([...(await readFile(exe)).subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
    const r = await run(exe, ["version", "--output", "json"], { env: NO_NODE_ENV });
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8"));
    assert.equal(info.version, pkg.version);
    assert.match(info.node, /^v22\./);
    assert.equal(info.target, "single-file");
    assert.equal(info.executable, true);
    assert.match(info.commit ?? "", /^[0-9a-f]{12}(-dirty)?$/);
    const text = await run(exe, ["--version"], { env: NO_NODE_ENV });
    assert.equal(text.code, 0);
    assert.match(text.stdout, new RegExp(`^kubeca ${pkg.version.replace(/\./g, "\\.")} \\(commit [0-9a-f]{12}(-dirty)?; single-file, single executable; Node\\.js v22\\.`));
    assert.equal(text.stderr, "", "no experimental-feature or SDK warning");
  });

  it("renews every kubeadm file of a node into a temporary pki folder; openssl verifies each against the server's CAs", async () => {
    await writeGenerateCsrLayout({ certDir: node.certDir, kubeconfigDir: node.kubeconfigDir, keyAlgorithm: "ECDSA-P256" });
    const r = await run(built(BUILT.executable), ["renew", "--server", server.url, "--token-file", server.tokenFile, "--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir], { env: NO_NODE_ENV });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /✓ apiserver /);
    const serviceCa = {
      ca: await readFile(join(server.pkiDir, "ca.crt"), "utf8"),
      "etcd-ca": await readFile(join(server.pkiDir, "etcd", "ca.crt"), "utf8"),
      "front-proxy-ca": await readFile(join(server.pkiDir, "front-proxy-ca.crt"), "utf8"),
    };
    for (const name of ["apiserver", "apiserver-kubelet-client", "etcd/server", "etcd/peer", "front-proxy-client", "admin.conf", "scheduler.conf"]) {
      await checkInstalled(node, name, serviceCa);
    }
    const apiserver = new X509Certificate(await readFile(join(node.certDir, "apiserver.crt")));
    assert.match(apiserver.subjectAltName ?? "", /DNS:k8s\.example\.internal/);

    const status = await run(built(BUILT.executable), ["status", "--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir, "--output", "json"], { env: NO_NODE_ENV });
    assert.equal(status.code, 0, status.stderr);
    const info = JSON.parse(status.stdout) as { certificates: { name: string; missing?: boolean }[] };
    assert.ok(info.certificates.some((c) => c.name === "apiserver" && !c.missing), status.stdout);
  });

  it("serves with workers (its default on a machine with several cores): each worker runs the embedded CLI's serve", { timeout: 120_000 }, async () => {
    const child = spawn(built(BUILT.executable), ["serve", "--dev", "--port", "0", "--dev-dir", join(node.root, "sea-dev"), "--workers", "2", "--log-level", "warn"], {
      env: NO_NODE_ENV,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr!.on("data", (d) => {
          stderr += String(d);
          const m = /serving on (http:\/\/\S+) with 2 workers/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        child.once("exit", (code) => reject(new Error(`serve exited ${code} before serving:\n${stderr}`)));
      });
      const ready = (await (await fetch(new URL("/readyz", url))).json()) as { status: string; checks: { name: string; detail: string }[] };
      assert.equal(ready.status, "ready", JSON.stringify(ready));
      assert.equal(ready.checks.find((c) => c.name === "workers")?.detail, "2 of 2 worker(s) serving");
      assert.doesNotMatch(stderr, /unknown command/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        const [code] = await exited;
        assert.equal(code, 0, stderr);
      }
    }
  });
});
