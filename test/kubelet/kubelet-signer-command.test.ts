// `kubeca kubelet-signer` as an operator runs it: a config with an aws-kms CA (the real SDK against
// the local KMS server), a kubeconfig file for the fake apiserver, the file audit log.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { kubeletSignerCommand } from "../../src/cli/commands/kubelet-signer.js";
import type { CliIo } from "../../src/cli/command.js";
import { UsageError } from "../../src/cli/flags.js";
import { kubeletSignerHelp } from "../../src/cli/help/kubelet-signer.js";
import { built, BUILT, node22 } from "../support/built.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { run } from "../support/processes.js";
import { writeKubeletSignerFiles } from "./command-fixture.js";
import { certificatePem, condition, opensslVerify, startHarness, waitFor, type Harness } from "./harness.js";
import supertest from "supertest";

let kms: KmsServer;
let h: Harness;
let dir: string;

before(async () => {
  process.env.AWS_ACCESS_KEY_ID = "AKIDKUBECATEST";
  process.env.AWS_SECRET_ACCESS_KEY = "kubeca-test-secret";
  kms = await startKmsServer();
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), "kubeca-kubelet-cli-"));
  await writeConfig();
});
after(async () => {
  await h.close();
  await kms.close();
});

function io(): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  return { stdout, stderr, env: {}, cwd: dir, out: () => out, err: () => err };
}

test("kubelet-signer --help names every flag", () => {
  for (const flag of ["--config", "--kubeconfig", "--health-port", "--once", "--debug"]) assert.match(kubeletSignerHelp, new RegExp(flag));
});

test("kubelet-signer without --config is a usage error", async () => {
  await assert.rejects(kubeletSignerCommand.run([], io()), (e) => e instanceof UsageError && /--config FILE is required/.test(e.message));
});

let keyId: string;

async function writeConfig(): Promise<void> {
  keyId = await writeKubeletSignerFiles(dir, kms, h.server.url, "nodeWaitSeconds: 0\nservingValidity: 720h");
}

test("kubelet-signer --once signs a pending kubelet CSR with the KMS-held CA and records it in the audit file", async () => {
  const name = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] });
  const cli = io();
  const code = await kubeletSignerCommand.run(["--config", join(dir, "kubeca.yaml"), "--kubeconfig", join(dir, "kubeconfig"), "--once"], cli);
  assert.equal(code, 0, cli.err());
  assert.deepEqual(JSON.parse(cli.out()), { leader: true, listed: 1, outcomes: { approve: 0, deny: 0, sign: 1, fail: 0, skip: 0 }, errors: 0 });
  const csr = h.csr(name);
  assert.equal(condition(csr, "Approved").reason, "NodeIdentityVerified");
  assert.match(opensslVerify(join(dir, "ca.crt"), certificatePem(csr)!, "sslserver"), /: OK/);
  assert.ok(kms.signCount(keyId) >= 2, "the CA certificate and the leaf were both signed in KMS");
  const events = readFileSync(join(dir, "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l).event);
  assert.deepEqual(events, ["kubelet-csr-approved", "kubelet-csr-signed"]);
  assert.deepEqual(
    h.server.writes.filter((w) => w.name === name && w.user === "kubeca-cli").map((w) => `${w.subresource} ${w.status}`),
    ["approval 200", "status 200"],
  );
});

test("kubelet-signer runs until SIGTERM, answers /healthz and /readyz, signs while leading, and hands the Lease back on exit", async () => {
  const cli = io();
  const running = kubeletSignerCommand.run(["--config", join(dir, "kubeca.yaml"), "--kubeconfig", join(dir, "kubeconfig"), "--health-port", "0"], cli);
  const started = await waitFor("the started line", () => cli.err().split("\n").map((l) => (l ? JSON.parse(l) : {})).find((l) => l.msg === "started"));
  const base = `http://127.0.0.1:${started.healthPort}`;
  const health = supertest(base);
  assert.equal((await health.get("/healthz")).status, 200);
  await waitFor("leading", () => h.server.get("leases", "kubeca-kubelet-signer", "kubeca-system")?.spec.holderIdentity === started.identity, 8000);
  const name = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] });
  await waitFor("a certificate", () => certificatePem(h.csr(name)), 8000);
  assert.equal((await health.get("/readyz")).status, 200);
  process.emit("SIGTERM");
  assert.equal(await running, 0);
  assert.equal(h.server.get("leases", "kubeca-kubelet-signer", "kubeca-system")?.spec.holderIdentity, "");
  await assert.rejects(health.get("/healthz").then(), /ECONNREFUSED/);
});

test("the built kubeca kubelet-signer --once, under Node 22, signs a pending kubelet CSR with the KMS-held CA", async () => {
  const name = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] });
  const env = { PATH: process.env.PATH ?? "", AWS_ACCESS_KEY_ID: "AKIDKUBECATEST", AWS_SECRET_ACCESS_KEY: "kubeca-test-secret", AWS_EC2_METADATA_DISABLED: "true" };
  const r = await run(node22(), [built(BUILT.cli), "kubelet-signer", "--config", join(dir, "kubeca.yaml"), "--kubeconfig", join(dir, "kubeconfig"), "--once"], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.outcomes.sign, 1, r.stdout);
  assert.equal(summary.errors, 0);
  assert.match(opensslVerify(join(dir, "ca.crt"), certificatePem(h.csr(name))!, "sslserver"), /: OK/);
  assert.doesNotMatch(r.stderr, /NodeVersionSupportWarning/);
});

test("kubelet-signer whose KMS key is not its CA certificate's refuses to start and writes a signer-mismatch record", async () => {
  const other = mkdtempSync(join(tmpdir(), "kubeca-kubelet-mismatch-"));
  const ownKey = await writeKubeletSignerFiles(other, kms, h.server.url, "nodeWaitSeconds: 0");
  const { keyId: swapped } = await kms.createKey("ECC_NIST_P256");
  const configPath = join(other, "kubeca.yaml");
  writeFileSync(configPath, readFileSync(configPath, "utf8").replace(`keyId: ${ownKey}`, `keyId: ${swapped}`));
  const cli = io();
  await assert.rejects(kubeletSignerCommand.run(["--config", configPath, "--kubeconfig", join(other, "kubeconfig"), "--once"], cli), (e: { code?: string }) => e.code === "KUBECA_SIGNER_KEY_MISMATCH");
  const records = readFileSync(join(other, "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => [r.event, r.actor.identity]), [["signer-mismatch", "kubeca kubelet-signer"]]);
  assert.match(records[0].message, /CA ca: the signer's key \(SHA256:[0-9a-f:]+\) is not the key in the CA certificate \(SHA256:[0-9a-f:]+\); kubeca kubelet-signer refused to start/);
});
