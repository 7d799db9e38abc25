// The README's contract, as a new user meets it: `kubeca serve --dev` in a fresh folder writes a config, a
// token and kubeadm's CA layout, says loudly that it is a development CA, signs a CSR made with openssl,
// and `kubeca serve` without --dev refuses to start without a config.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import supertest from "supertest";
import { openssl, opensslVerify, withTempFiles } from "../support/openssl.js";

const bin = resolve(import.meta.dirname, "..", "..", "bin", "kubeca.js");

function run(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.on("exit", (code) => done({ code, stderr }));
  });
}

describe("kubeca serve --dev", () => {
  let dir: string;
  let child: ChildProcess;
  let url: string;
  let banner = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kubeca-dev-"));
    child = spawn(process.execPath, [bin, "serve", "--dev", "--port", "0", "--log-level", "warn"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    url = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no "serving on" line within 30 s:\n${banner}`)), 30_000);
      child.stderr!.on("data", (d) => {
        banner += String(d);
        const m = /serving on (http:\/\/\S+)/.exec(banner);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      });
      child.on("exit", (code) => fail(new Error(`exited ${code}:\n${banner}`)));
    });
  });
  after(async () => {
    // Wait for the exit: on SIGTERM the service still writes its last audit checkpoint into the folder.
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("says loudly that it is a development CA", () => {
    assert.match(banner, /DEVELOPMENT CA — NOT FOR A REAL CLUSTER/);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("writes config.yaml and the token (0600) and the CA certificates in kubeadm's layout", async () => {
    const dev = join(dir, ".kubeca-dev");
    assert.equal((await stat(join(dev, "token"))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dev, "config.yaml"))).mode & 0o777, 0o600);
    assert.match(await readFile(join(dev, "config.yaml"), "utf8"), /name: cp-1/);
    for (const f of ["ca.crt", "etcd/ca.crt", "front-proxy-ca.crt"]) assert.match(await readFile(join(dev, "pki", f), "utf8"), /BEGIN CERTIFICATE/);
  });

  it("signs a CSR made with openssl for the dev token's node", async () => {
    const dev = join(dir, ".kubeca-dev");
    const csr = await withTempFiles({}, async (_p, tmp) => {
      const r = await openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(tmp, "k"), "-out", join(tmp, "c"), "-subj", "/O=kubeadm:cluster-admins/CN=kubernetes-admin"]);
      assert.equal(r.code, 0, r.stderr);
      return readFile(join(tmp, "c"), "utf8");
    });
    const token = (await readFile(join(dev, "token"), "utf8")).trim();
    const res = await supertest(url).post("/v1/sign").set({ authorization: `Bearer ${token}` }).send({ name: "admin.conf", csr });
    assert.equal(res.status, 200, res.text);
    const body = res.body as { certificate: string };
    const verified = await opensslVerify({ caPem: await readFile(join(dev, "pki", "ca.crt"), "utf8"), certPem: body.certificate, purpose: "sslclient" });
    assert.equal(verified.code, 0, verified.stderr);
  });

  it("without --dev, refuses to start without a config", async () => {
    const r = await run(["serve"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--config FILE is required .*never runs without a config/);
  });

  it("a second --dev start on the port in use fails before it writes over the running server's CA certificates", async () => {
    const dev = join(dir, ".kubeca-dev");
    const files = ["ca.crt", "etcd/ca.crt", "front-proxy-ca.crt", "../config.yaml", "../token"].map((f) => join(dev, "pki", f));
    const before = await Promise.all(files.map((f) => readFile(f, "utf8")));
    const r = await run(["serve", "--dev", "--port", new URL(url).port], dir);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /already in use \(EADDRINUSE\)/);
    assert.deepEqual(await Promise.all(files.map((f) => readFile(f, "utf8"))), before, "the running server's files are untouched");
  });

  it("--dev refuses a non-loopback address", async () => {
    const r = await run(["serve", "--dev", "--host", "0.0.0.0"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /loopback only/);
  });
});
