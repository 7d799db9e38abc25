// `kubeca serve --workers N` as an operator runs it (the built CLI): several worker processes serve one
// port while the primary keeps one audit chain, one idempotency window and one set of rate limits.
// Requests go out on connections of their own, so node:cluster spreads them over the workers (the
// workers' request logs show which pid answered). A KMS-backed config proves the production path (a
// KMS client per worker); --dev proves the workers sign with the primary's development key.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { createAuditLog } from "../../src/audit/index.js";
import { sampleConfig } from "../../src/cli/dev-environment.js";
import { loadConfigFile } from "../../src/config/index.js";
import { issuedEvent } from "../audit/audit-fixtures.js";
import { writeConfig } from "../issuance/service-fixture.js";
import { built, BUILT } from "../support/built.js";
import { buildCsr, newKey, withCommonName, withKey, withOrganizations } from "../support/csr-builder.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { openssl, withTempFiles } from "../support/openssl.js";
import { childPids, run } from "../support/processes.js";

const CP1_TOKEN = "cp1-token-0123456789abcdef0123456789";
const CP2_TOKEN = "cp2-token-0123456789abcdef0123456789";
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

interface Answer {
  readonly status: number;
  readonly body: Record<string, any>;
}

/** POST on a connection of its own (no keep-alive): the cluster hands each connection to a worker in turn. */
function post(url: string, token: string, path: string, body: unknown): Promise<Answer> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), {
      method: "POST",
      agent: false,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": Buffer.byteLength(data) },
    });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d) => (text += String(d)));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end(data);
  });
}

async function getJson(url: string, path: string): Promise<Answer> {
  const res = await fetch(new URL(path, url));
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function getText(url: string, path: string): Promise<string> {
  const res = await fetch(new URL(path, url), { headers: { connection: "close" } });
  assert.equal(res.status, 200);
  return res.text();
}

/** The value of one sample (name with its labels, as exposed) in Prometheus' text format. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  assert.ok(line, `no sample ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

function adminCsr(): string {
  return buildCsr(withKey("P-256", newKey("P-256")), withCommonName("kubernetes-admin"), withOrganizations("kubeadm:cluster-admins")).pem;
}


function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `condition` every 50 ms; fails with `what` after `ms` (a bound, not the expected time). */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  stdout(): string;
  stderr(): string;
  /** Pids that logged a request line: the workers that answered. */
  answeringPids(): Set<number>;
}

async function serve(args: string[], cwd: string): Promise<Served> {
  const child = spawn(process.execPath, [built(BUILT.cli), "serve", "--port", "0", "--log-level", "info", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  return attach(child);
}

async function auditRecords(path: string): Promise<Record<string, any>[]> {
  return (await readFile(path, "utf8"))
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

function assertLinear(records: Record<string, any>[]): void {
  records.forEach((r, i) => {
    assert.equal(r.seq, i + 1, `record ${i + 1} has seq ${r.seq}: the chain has a gap or a fork`);
    if (i > 0) assert.equal(r.prevHash, records[i - 1]!.hash, `record ${r.seq} does not chain to ${r.seq - 1}`);
  });
}

async function stop(served: Served): Promise<number | null> {
  if (served.child.exitCode !== null) return served.child.exitCode;
  served.child.kill("SIGTERM");
  const [code] = await once(served.child, "exit");
  return code as number | null;
}

describe("kubeca serve --workers 3 with KMS-backed CAs", () => {
  let kms: KmsServer;
  let dir: string;
  let configPath: string;
  let served: Served;
  const env = { ...process.env, AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_REGION: "us-east-1" };

  before(async () => {
    kms = await startKmsServer();
    const signers = {} as Record<"ca" | "etcd-ca" | "front-proxy-ca", Record<string, unknown>>;
    for (const name of ["ca", "etcd-ca", "front-proxy-ca"] as const) {
      signers[name] = { type: "aws-kms", keyId: (await kms.createKey("ECC_NIST_P256")).arn, endpoint: kms.url };
    }
    ({ dir, configPath } = await writeConfig({
      signers,
      edit: (raw) => {
        raw.callers = { tokens: [{ name: "cp-1-token", sha256: sha(CP1_TOKEN), node: "cp-1" }] };
        raw.rateLimits = { perCaller: { ratePerSecond: 1000, burst: 1000 }, overall: { ratePerSecond: 1000, burst: 1000 } };
      },
    }));
    const init = await run(process.execPath, [built(BUILT.cli), "ca", "init", "--config", configPath], { env });
    assert.equal(init.code, 0, init.stderr);
    const child = spawn(process.execPath, [built(BUILT.cli), "serve", "--config", configPath, "--port", "0", "--log-level", "info", "--workers", "3"], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    served = await attach(child);
  });

  after(async () => {
    if (served) await stop(served);
    await kms?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("signs distinct CSRs sent at once to every worker into one linear chain that kubeca audit verify accepts", async () => {
    const csrs = Array.from({ length: 30 }, adminCsr);
    const answers = await Promise.all(csrs.map((csr) => post(served.url, CP1_TOKEN, "/v1/sign", { name: "admin.conf", csr })));
    assert.deepEqual(
      answers.map((a) => a.status),
      csrs.map(() => 200),
    );
    assert.equal(new Set(answers.map((a) => a.body.serial)).size, 30, "30 certificates, 30 serials");
    await waitFor("answers from several workers in the request log", () => served.answeringPids().size >= 2);

    // Every certificate chains to the CA certificate `ca init` made through the KMS key.
    const caPem = await readFile(join(dir, "pki", "ca.crt"), "utf8");
    const files = Object.fromEntries([["ca.crt", caPem], ...answers.map((a, i) => [`leaf-${i}.crt`, a.body.certificate as string])]);
    const verified = await withTempFiles(files, (paths) => openssl(["verify", "-CAfile", paths["ca.crt"]!, ...answers.map((_, i) => paths[`leaf-${i}.crt`]!)]));
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(verified.stdout.match(/: OK/g)?.length, 30);

    const records = await auditRecords(join(dir, "audit.jsonl"));
    assertLinear(records);
    assert.deepEqual(
      records.map((r) => r.event),
      csrs.map(() => "issued"),
    );
    assert.deepEqual(new Set(records.map((r) => r.result.serial)), new Set(answers.map((a) => a.body.serial)));
    const verify = await run(process.execPath, [built(BUILT.cli), "audit", "verify", "--config", configPath]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /OK: 30 records, chain intact/);
  });

  it("signs the same CSR sent to every worker at once exactly once: the others get that certificate, audited as reissued", async () => {
    const before = (await auditRecords(join(dir, "audit.jsonl"))).length;
    const csr = adminCsr();
    const answers = await Promise.all(Array.from({ length: 12 }, () => post(served.url, CP1_TOKEN, "/v1/sign", { name: "admin.conf", csr })));
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => 200),
    );
    assert.equal(new Set(answers.map((a) => a.body.serial)).size, 1, "one certificate for all twelve");
    assert.equal(new Set(answers.map((a) => a.body.certificate)).size, 1);
    const added = (await auditRecords(join(dir, "audit.jsonl"))).slice(before);
    assert.equal(added.filter((r) => r.event === "issued").length, 1);
    assert.equal(added.filter((r) => r.event === "reissued").length, 11);
    assert.ok(added.every((r) => r.result.serial === answers[0]!.body.serial));
  });

  it("answers GET /metrics at any worker with the whole server: requests summed over the workers, each audit append counted once, the fleet from the primary", async () => {
    // Fresh connections, so the scrapes land on different workers; every one must say the same.
    const scrapes = await Promise.all(Array.from({ length: 6 }, () => getText(served.url, "/metrics")));
    const records = await auditRecords(join(dir, "audit.jsonl"));
    const issued = records.filter((r) => r.event === "issued");
    const reissued = records.filter((r) => r.event === "reissued");
    assert.ok(issued.length >= 31 && reissued.length >= 11, "the two tests before sent 31 new CSRs and 11 repeats");
    for (const text of scrapes) {
      assert.equal(sample(text, 'kubeca_certificate_requests_total{outcome="issued",ca="ca",file="admin.conf"}'), issued.length);
      assert.equal(sample(text, 'kubeca_certificate_requests_total{outcome="reissued",ca="ca",file="admin.conf"}'), reissued.length);
      assert.equal(sample(text, 'kubeca_signer_sign_duration_seconds_count{ca="ca"}'), issued.length, "one Sign per certificate, whichever worker made it");
      // Appends are timed where they are stored (the primary), not again in the worker that asked.
      assert.equal(sample(text, "kubeca_audit_append_duration_seconds_count"), records.length);
      assert.equal(sample(text, "kubeca_node_certificate_inventory_loaded"), 1);
      const latest = Math.max(...issued.map((r) => Date.parse(r.result.notAfter) / 1000));
      assert.equal(sample(text, 'kubeca_node_certificate_expiry_timestamp_seconds{node="cp-1",file="admin.conf"}'), Math.floor(latest));
      assert.equal(text.match(/^kubeca_build_info\{/gm)?.length, 1, "build info once, not once per process");
    }
  });

  it("starts a new worker when one is killed, and the chain goes on without a gap", async () => {
    const workers = childPids(served.child.pid!);
    assert.equal(workers.length, 3, `three workers, found ${workers.join(", ")}`);
    process.kill(workers[0]!, "SIGKILL");
    await waitFor("the primary to report the dead worker", () => served.stderr().includes(`server worker ${workers[0]} exited (SIGKILL); starting another`));
    await waitFor("three workers serving again", async () => (await getJson(served.url, "/readyz")).body.checks?.some((c: any) => c.name === "workers" && c.detail === "3 of 3 worker(s) serving"));
    const replaced = childPids(served.child.pid!);
    assert.equal(replaced.length, 3);
    assert.ok(!replaced.includes(workers[0]!));

    const answers = await Promise.all(Array.from({ length: 6 }, () => post(served.url, CP1_TOKEN, "/v1/sign", { name: "admin.conf", csr: adminCsr() })));
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => 200),
    );
    assertLinear(await auditRecords(join(dir, "audit.jsonl")));
  });

  it("SIGTERM lets every request in flight finish, stops the workers and writes one last checkpoint over the head", async () => {
    const workers = childPids(served.child.pid!);
    kms.setLatency(1_500);
    const seen = kms.received();
    const inFlight = Array.from({ length: 6 }, () => post(served.url, CP1_TOKEN, "/v1/sign", { name: "admin.conf", csr: adminCsr() }));
    // Every request reached a worker and waits on the slow KMS's Sign before the signal.
    await waitFor("six Sign calls at the KMS", () => kms.received() - seen >= 6);
    served.child.kill("SIGTERM");
    const answers = await Promise.all(inFlight);
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => 200),
    );
    const [code] = await once(served.child, "exit");
    assert.equal(code, 0);
    kms.setLatency(0);
    for (const pid of workers) assert.equal(alive(pid), false, `worker ${pid} still runs`);

    const records = await auditRecords(join(dir, "audit.jsonl"));
    assertLinear(records);
    const head = records.at(-1)!;
    const checkpoints = await auditRecords(join(dir, "audit.checkpoints.jsonl"));
    assert.equal(checkpoints.at(-1)!.seq, head.seq, "the last checkpoint covers the head");
    assert.equal(checkpoints.at(-1)!.headHash, head.hash);
    assert.equal(checkpoints.filter((c) => c.seq === head.seq).length, 1, "written once, not once per worker");
  });
});

describe("kubeca serve --dev --workers 2", () => {
  let dir: string;
  let served: Served;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kubeca-workers-dev-"));
    const config = sampleConfig(sha(CP1_TOKEN));
    // Each node's bucket holds 32 requests (the least a config allows: a full batch) and barely refills.
    config.nodes = [...(config.nodes as object[]), { name: "cp-2", role: "control-plane", advertiseAddress: "10.0.0.11", addresses: [], hostnames: [] }];
    config.callers = {
      tokens: [
        { name: "cp-1-token", sha256: sha(CP1_TOKEN), node: "cp-1" },
        { name: "cp-2-token", sha256: sha(CP2_TOKEN), node: "cp-2" },
      ],
    };
    config.rateLimits = { perCaller: { ratePerSecond: 0.001, burst: 32 }, overall: { ratePerSecond: 1000, burst: 1000 } };
    await writeFile(join(dir, "kubeca.yaml"), stringify(config));
    served = await serve(["--dev", "--dev-dir", join(dir, "dev"), "--config", join(dir, "kubeca.yaml"), "--workers", "2"], dir);
  });

  after(async () => {
    if (served && served.child.exitCode === null) served.child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("every worker signs with the primary's development CA key: each certificate verifies against the ca.crt written at start", async () => {
    // Pairs of requests until both workers have answered (node:cluster hands a connection to a free worker).
    const answers: Answer[] = [];
    while (served.answeringPids().size < 2 && answers.length < 24) {
      answers.push(...(await Promise.all([1, 2].map(() => post(served.url, CP1_TOKEN, "/v1/sign", { name: "admin.conf", csr: adminCsr() })))));
    }
    assert.equal(served.answeringPids().size, 2, "both workers answered");
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => 200),
    );
    const caPem = await readFile(join(dir, "pki", "ca.crt"), "utf8");
    const files = Object.fromEntries([["ca.crt", caPem], ...answers.map((a, i) => [`leaf-${i}.crt`, a.body.certificate as string])]);
    const verified = await withTempFiles(files, (paths) => openssl(["verify", "-CAfile", paths["ca.crt"]!, ...answers.map((_, i) => paths[`leaf-${i}.crt`]!)]));
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(verified.stdout.match(/: OK/g)?.length, answers.length);
  });

  it("the workers start with an 8 MiB young generation cap, the primary with the flags it was given (none)", async () => {
    const cmdline = async (pid: number) => (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter((a) => a !== "");
    const workers = (await readFile(`/proc/${served.child.pid}/task/${served.child.pid}/children`, "utf8")).trim().split(/\s+/).map(Number);
    assert.equal(workers.length, 2, "two worker processes");
    for (const pid of workers) assert.ok((await cmdline(pid)).includes("--max-semi-space-size=8"), `worker ${pid}: ${(await cmdline(pid)).join(" ")}`);
    assert.ok(!(await cmdline(served.child.pid!)).some((a) => a.startsWith("--max-semi-space-size")));
  });

  it("one node's rate limit is one budget across workers: 32 of 40 requests sent at once are signed, 8 answered 429", async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => post(served.url, CP2_TOKEN, "/v1/sign", { name: "admin.conf", csr: adminCsr() })));
    assert.equal(answers.filter((a) => a.status === 200).length, 32);
    assert.equal(answers.filter((a) => a.status === 429).length, 8);
    const limited = answers.find((a) => a.status === 429)!;
    assert.equal(limited.body.type.endsWith("/rate-limited"), true);
    assert.match(limited.body.detail, /node cp-2 is over its rate limit/);
  });

  it("the workers exit when the primary dies", async () => {
    const workers = childPids(served.child.pid!);
    assert.equal(workers.length, 2);
    served.child.kill("SIGKILL");
    await waitFor("both workers to exit", () => workers.every((pid) => !alive(pid)));
  });
});

describe("kubeca serve --dev --workers 2 through a CA rotation", () => {
  const OPERATOR_TOKEN = "operator-token-0123456789abcdef01234";
  let dir: string;
  let served: Served;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kubeca-workers-rotation-"));
    const config = sampleConfig(sha(CP1_TOKEN)) as Record<string, any>;
    config.cas.ca.next = { certificate: { file: "pki/ca-next.crt" }, signer: { type: "memory", algorithm: "ECDSA-P256" } };
    config.callers = { ...config.callers, operators: [{ name: "platform-team", sha256: sha(OPERATOR_TOKEN) }] };
    config.rotation = { refreshSeconds: 1 };
    await writeFile(join(dir, "kubeca.yaml"), stringify(config));
    served = await serve(["--dev", "--dev-dir", join(dir, "dev"), "--config", join(dir, "kubeca.yaml"), "--workers", "2"], dir);
  });

  after(async () => {
    if (served) await stop(served);
    await rm(dir, { recursive: true, force: true });
  });

  it("changes a phase once when two operators ask at once (the primary decides), and every worker follows with the primary's next CA", async () => {
    const change = { ca: "ca", action: "prepare", expect: "idle" };
    const answers = await Promise.all([1, 2, 3, 4].map(() => post(served.url, OPERATOR_TOKEN, "/v1/ca/rotation", change)));
    assert.equal(answers.filter((a) => a.status === 200).length, 1, JSON.stringify(answers.map((a) => [a.status, a.body.detail])));
    assert.equal(answers.filter((a) => a.status === 409).length, 3, JSON.stringify(answers.map((a) => [a.status, a.body.detail])));
    const records = await auditRecords(join(dir, "audit.jsonl"));
    // The primary decides one change at a time: one recorded change, and three refusals that saw it.
    assert.equal(records.filter((r) => r.event === "ca-rotation").length, 1, "one phase change recorded");
    const refusals = records.filter((r) => r.event === "ca-rotation-refused");
    assert.equal(refusals.length, 3);
    assert.ok(refusals.every((r) => r.violations[0].rule === "phase-moved"), JSON.stringify(refusals.map((r) => r.violations)));
    assertLinear(records);

    // Every worker serves trust-both within refreshSeconds, with the next CA the primary minted.
    const current = await readFile(join(dir, "pki", "ca.crt"), "utf8");
    const next = await readFile(join(dir, "pki", "ca-next.crt"), "utf8");
    assert.notEqual(next, current);
    await waitFor("both workers serving trust-both", async () => {
      const views = await Promise.all([1, 2, 3, 4].map(() => getJson(served.url, "/v1/ca")));
      return views.every((v) => v.body.cas.find((c: any) => c.name === "ca")?.rotation?.phase === "trust-both");
    });
    const views = await Promise.all([1, 2, 3, 4].map(() => getJson(served.url, "/v1/ca")));
    for (const view of views) {
      const ca = view.body.cas.find((c: any) => c.name === "ca");
      assert.equal(ca.rotation.next, next);
      assert.equal(ca.bundle, current + next);
    }
  });
});

describe("kubeca serve --dev --workers 2 retiring a node", () => {
  const OPERATOR_TOKEN = "operator-token-0123456789abcdef05678";
  const CP9_SERIES = 'kubeca_node_certificate_expiry_timestamp_seconds{node="cp-9",file="admin.conf"}';
  let dir: string;
  let served: Served;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kubeca-workers-retire-"));
    const config = sampleConfig(sha(CP1_TOKEN)) as Record<string, any>;
    config.callers = { ...config.callers, operators: [{ name: "platform-team", sha256: sha(OPERATOR_TOKEN) }] };
    await writeFile(join(dir, "kubeca.yaml"), stringify(config));
    // cp-9 was issued a certificate while an earlier config listed it; this one no longer does.
    const log = await createAuditLog((await loadConfigFile(join(dir, "kubeca.yaml"))).config.audit, dir);
    const base = issuedEvent({ node: "cp-9", serial: "c9" });
    await log.append({ ...base, request: { ...base.request!, file: "admin.conf", profile: "admin.conf" } });
    await log.close();
    served = await serve(["--dev", "--dev-dir", join(dir, "dev"), "--config", join(dir, "kubeca.yaml"), "--workers", "2"], dir);
  });

  after(async () => {
    if (served) await stop(served);
    await rm(dir, { recursive: true, force: true });
  });

  it("the primary, which keeps the fleet, drops the node's series once a worker records the retirement", async () => {
    await waitFor("the primary to read cp-9 from the log", async () => (await getText(served.url, "/metrics")).includes(CP9_SERIES + " "));
    const listed = await post(served.url, OPERATOR_TOKEN, "/v1/nodes/cp-1/retire", { reason: "still there" });
    assert.equal(listed.status, 409, JSON.stringify(listed.body));
    assert.equal(listed.body.violations[0].rule, "node-in-config");
    const answer = await post(served.url, OPERATOR_TOKEN, "/v1/nodes/cp-9/retire", { reason: "decommissioned" });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.retired.certificates.map((c: { file: string; serial: string }) => [c.file, c.serial]), [["admin.conf", "c9"]]);
    // Each scrape is a connection of its own, answered by either worker from the primary's fleet.
    for (const text of await Promise.all([1, 2, 3, 4].map(() => getText(served.url, "/metrics")))) {
      assert.ok(!text.includes('node="cp-9"'), "a scrape still has cp-9's series");
    }
    const records = await auditRecords(join(dir, "audit.jsonl"));
    assertLinear(records);
    assert.deepEqual(
      records.filter((r) => r.node !== undefined).map((r) => [r.event, r.node, r.actor.identity]),
      [
        ["refused", "cp-1", "platform-team"],
        ["node-retired", "cp-9", "platform-team"],
      ],
    );
  });
});

/** Waits for the "serving on" line of a child started by the caller. */
async function attach(child: ChildProcess): Promise<Served> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (d) => {
      stderr += String(d);
      const m = /serving on (http:\/\/\S+) with \d+ workers/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`kubeca serve exited ${code} before serving:\n${stderr}`)));
  });
  return {
    child,
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    answeringPids() {
      const pids = new Set<number>();
      for (const line of stdout.split("\n")) if (line.includes('"msg":"request"')) pids.add((JSON.parse(line) as { pid: number }).pid);
      return pids;
    },
  };
}
