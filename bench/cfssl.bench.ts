// `npm run bench -- cfssl`: kubeca and cfssl side by side under the same wrk load, so anyone can check
// our figures. Needs cfssl and wrk on PATH:
//   apt-get install golang-cfssl wrk        (Debian/Ubuntu; cfssl 1.2's `cfssl serve`)
// Both servers sign with a local P-256 CA key (kubeca: `serve --dev`, its memory signer; cfssl: a key
// file), both get the same pool of distinct CSRs (a random, ignored extension makes each unique, so
// every kubeca request is a new signature, never an idempotent replay), rounds interleave the servers,
// and each (round, CSR type, server) starts a fresh server. Printed per run: requests/s, p50/p99, CPU
// per request (user+system of the server and its workers, from /proc) and RSS, with the load average;
// then medians and kubeca/cfssl ratios. Trust the ratios of one run over absolute figures on a shared
// machine. Environment: KUBECA_BENCH_NODE (the node that runs kubeca; default tools/node22's if
// installed, as shipped), KUBECA_BENCH_ROUNDS (3), KUBECA_BENCH_SECONDS (4 per run), and
// KUBECA_BENCH_BEFORE: another built checkout to run as a third server, e.g. the commit before a change:
//   git archive <commit> | tar -x -C /tmp/before && ln -s $PWD/node_modules /tmp/before/ &&
//   (cd /tmp/before && node scripts/build.mjs cli) && KUBECA_BENCH_BEFORE=/tmp/before npm run bench -- cfssl
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { OctetString } from "@peculiar/asn1-schema";
import { Extension } from "@peculiar/asn1-x509";
import { stringify } from "yaml";
import { sampleConfig } from "../src/cli/dev-environment.js";
import { BUILT, NODE22, ROOT } from "../test/support/built.js";
import { childPids } from "../test/support/processes.js";
import { buildCsr, withCommonName, withKey, withOrganizations, withRequestedExtension, type CsrKeyType } from "../test/support/csr-builder.js";

const ROUNDS = Number(process.env.KUBECA_BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.KUBECA_BENCH_SECONDS ?? 4);
const POOL = 14_000;
const KUBECA_NODE = process.env.KUBECA_BENCH_NODE ?? (existsSync(NODE22) ? NODE22 : process.execPath);
const TOKEN = "bench-token-" + randomBytes(16).toString("hex");
const LUA = join(ROOT, "bench", "wrk-sign.lua");
const BEFORE = process.env.KUBECA_BENCH_BEFORE;
/** A private-arc OID: ignored by both servers (kubeca ignores every requested extension but SAN). */
const NONCE_OID = "1.3.6.1.4.1.55555.1";

interface WrkResult {
  readonly requests: number;
  readonly durationUs: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

interface RunFigures extends WrkResult {
  readonly cpuMsPerRequest: number;
  readonly rssMiB: number[];
  readonly load: number;
}

interface Server {
  readonly label: string;
  readonly url: string;
  readonly pool: string;
  readonly token: string;
  readonly pid: number;
  stop(): Promise<void>;
}

function need(command: string, args: string[]): void {
  // Only whether it runs: `wrk --version` exits 1 after printing its version.
  const r = spawnSync(command, args, { stdio: "ignore" });
  if (r.error) {
    console.error(`${command} is not installed: apt-get install golang-cfssl wrk (Debian/Ubuntu), then run npm run bench -- cfssl again`);
    process.exit(2);
  }
}

/** Admin kubeconfig CSRs (kubeadm's admin.conf request), each made unique by a random ignored extension. */
function csrPool(key: CsrKeyType, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const nonce = new Extension({ extnID: NONCE_OID, critical: false, extnValue: new OctetString(randomBytes(16)) });
    out.push(buildCsr(withKey(key), withCommonName("kubernetes-admin"), withOrganizations("kubeadm:cluster-admins"), withRequestedExtension(nonce)).pem);
  }
  return out;
}

function waitForPort(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const { hostname, port } = new URL(url);
  const deadline = Date.now() + 30_000;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`server exited ${child.exitCode}:\n${output()}`));
      const socket = connect(Number(port), hostname, () => {
        socket.destroy();
        resolve();
      });
      socket.on("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${url} after 30 s:\n${output()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

let nextPort = 19_100 + Math.floor(Math.random() * 500);

async function startCfssl(dir: string, pool: string): Promise<Server> {
  const port = nextPort++;
  const child = spawn("cfssl", ["serve", "-address", "127.0.0.1", "-port", String(port), "-ca", join(dir, "cfssl-ca.pem"), "-ca-key", join(dir, "cfssl-ca-key.pem"), "-config", join(dir, "cfssl.json")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (d) => (err = (err + String(d)).slice(-4000)));
  const url = `http://127.0.0.1:${port}/api/v1/cfssl/sign`;
  await waitForPort(url, child, () => err);
  return { label: "cfssl", url, pool, token: "", pid: child.pid!, stop: () => stopChild(child) };
}

async function startKubeca(dir: string, pool: string, workers: number | undefined, cli = BUILT.cli, label?: string): Promise<Server> {
  const port = nextPort++;
  // Its own config directory, so its own audit log: a server that started on the log of every server
  // before it read all their records at start, inside the measured window (later rounds looked slower).
  const own = join(dir, `kubeca-${port}`);
  await mkdir(own);
  await copyFile(join(dir, "kubeca.yaml"), join(own, "kubeca.yaml"));
  const args = [cli, "serve", "--dev", "--dev-dir", join(own, "dev"), "--config", join(own, "kubeca.yaml"), "--port", String(port)];
  if (workers !== undefined) args.push("--workers", String(workers));
  const child = spawn(KUBECA_NODE, args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d) => (err = (err + String(d)).slice(-4000)));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", () => /serving on/.test(err) && resolve());
    child.once("exit", (code) => reject(new Error(`kubeca serve exited ${code}:\n${err}`)));
  });
  const url = `http://127.0.0.1:${port}/v1/sign`;
  return { label: label ?? (workers === 1 ? "kubeca --workers 1" : "kubeca"), url, pool, token: TOKEN, pid: child.pid!, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}


/** User + system CPU of these processes, in ms. */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

function wrk(server: Server, pool: string, connections: number, seconds: number): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "-s", LUA, server.url], {
      env: { ...process.env, WRK_POOL: pool, WRK_TOKEN: server.token },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += String(d)));
    child.stderr!.on("data", (d) => (out += String(d)));
    child.once("exit", () => {
      const line = /WRK_RESULT (\{.*\})/.exec(out);
      if (!line) return reject(new Error(`wrk printed no result:\n${out}`));
      resolve(JSON.parse(line[1]!) as WrkResult);
    });
  });
}

async function measure(server: Server, warmPool: string, connections: number): Promise<RunFigures> {
  await wrk(server, warmPool, connections, 1); // JIT and connection set-up out of the figures
  const pids = [server.pid, ...childPids(server.pid)];
  const cpuBefore = cpuMs(pids);
  const load = loadavg()[0]!;
  const result = await wrk(server, server.pool, connections, SECONDS);
  const cpu = cpuMs(pids) - cpuBefore;
  return { ...result, cpuMsPerRequest: cpu / Math.max(1, result.requests), rssMiB: pids.map(rssMiB), load };
}

const rate = (r: WrkResult) => r.requests / (r.durationUs / 1e6);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function line(round: number, scenario: string, label: string, f: RunFigures): void {
  const wrapped = label.startsWith("kubeca") && f.requests > POOL ? `  (${f.requests - POOL} replays: pool wrapped)` : "";
  const bad = f.non2xx + f.socketErrors > 0 ? `  non-2xx ${f.non2xx}, socket errors ${f.socketErrors}` : "";
  console.log(
    `  round ${round}  ${scenario.padEnd(14)} ${label.padEnd(19)} ${String(Math.round(rate(f))).padStart(6)} req/s  p50 ${(f.p50Us / 1000).toFixed(2).padStart(6)} ms  p99 ${(f.p99Us / 1000).toFixed(2).padStart(6)} ms  CPU ${f.cpuMsPerRequest.toFixed(3)} ms/req  RSS ${f.rssMiB.map((m) => m.toFixed(0)).join("+")} MiB  load ${f.load.toFixed(2)}${bad}${wrapped}`,
  );
}

export async function benchCfssl(): Promise<void> {
  need("cfssl", ["version"]);
  need("wrk", ["--version"]);
  const dir = await mkdtemp(join(tmpdir(), "kubeca-bench-cfssl-"));
  try {
    // cfssl's CA: a local P-256 key, like kubeca --dev's memory signer.
    spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "cfssl-ca-key.pem"), "-out", join(dir, "cfssl-ca.pem"), "-subj", "/CN=kubernetes", "-days", "3650"], { stdio: "ignore" });
    await writeFile(join(dir, "cfssl.json"), JSON.stringify({ signing: { default: { expiry: "8760h", usages: ["digital signature", "key encipherment", "client auth"] } } }));
    const config = sampleConfig(createHash("sha256").update(TOKEN).digest("hex"));
    // Out of the way: this measures signing, not the limiter's refusals.
    config.rateLimits = { perCaller: { ratePerSecond: 1e6, burst: 1e6 }, overall: { ratePerSecond: 1e6, burst: 1e6 } };
    await writeFile(join(dir, "kubeca.yaml"), stringify(config));

    console.log(`\nkubeca vs cfssl ${spawnSync("cfssl", ["version"]).stdout.toString().split("\n")[0]}, wrk -t1, ${SECONDS} s a run, ${ROUNDS} interleaved rounds`);
    if (BEFORE) console.log(`  before: ${BEFORE}/dist/cli, serve --dev as it was built there`);
    console.log(`  kubeca: built CLI on node ${spawnSync(KUBECA_NODE, ["--version"]).stdout.toString().trim()}, serve --dev (memory P-256 CA, file audit log with fsync), default workers = CPU count`);
    console.log(`  building pools of ${POOL} distinct CSRs per key type…`);
    const pools: Record<string, { kubeca: string; cfssl: string; warmKubeca: string; warmCfssl: string }> = {};
    for (const key of ["P-256", "RSA-2048"] as const) {
      const csrs = csrPool(key, POOL + 1000);
      const write = async (name: string, lines: string[]) => {
        const path = join(dir, `${key}-${name}.jsonl`);
        await writeFile(path, lines.join("\n") + "\n");
        return path;
      };
      pools[key] = {
        kubeca: await write("kubeca", csrs.slice(0, POOL).map((csr) => JSON.stringify({ name: "admin.conf", csr }))),
        cfssl: await write("cfssl", csrs.slice(0, POOL).map((csr) => JSON.stringify({ certificate_request: csr }))),
        warmKubeca: await write("warm-kubeca", csrs.slice(POOL).map((csr) => JSON.stringify({ name: "admin.conf", csr }))),
        warmCfssl: await write("warm-cfssl", csrs.slice(POOL).map((csr) => JSON.stringify({ certificate_request: csr }))),
      };
    }

    const scenarios = [
      { name: "P-256 c16", key: "P-256", connections: 16 },
      { name: "RSA-2048 c16", key: "RSA-2048", connections: 16 },
      { name: "P-256 c1", key: "P-256", connections: 1 },
    ] as const;
    const servers = [
      { label: "cfssl", start: (p: string) => startCfssl(dir, p) },
      { label: "kubeca", start: (p: string) => startKubeca(dir, p, undefined) },
      { label: "kubeca --workers 1", start: (p: string) => startKubeca(dir, p, 1) },
      ...(BEFORE ? [{ label: "before", start: (p: string) => startKubeca(dir, p, undefined, join(BEFORE, "dist", "cli", "kubeca.mjs"), "before") }] : []),
    ];
    const results = new Map<string, RunFigures[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of scenarios) {
        // Alternate which server goes first, so neither always meets the machine's state the other left.
        const order = round % 2 === 1 ? servers : [...servers].reverse();
        for (const srv of order) {
          const isCfssl = srv.label === "cfssl";
          const pool = pools[s.key]!;
          const server = await srv.start(isCfssl ? pool.cfssl : pool.kubeca);
          try {
            const f = await measure(server, isCfssl ? pool.warmCfssl : pool.warmKubeca, s.connections);
            line(round, s.name, srv.label, f);
            const key = `${s.name}|${srv.label}`;
            results.set(key, [...(results.get(key) ?? []), f]);
          } finally {
            await server.stop();
          }
        }
      }
    }

    console.log(`\n  medians of ${ROUNDS} rounds; ratio = kubeca ÷ cfssl (req/s: higher is better; p99 and CPU: lower is better)`);
    for (const s of scenarios) {
      const of = (label: string) => results.get(`${s.name}|${label}`)!;
      const c = of("cfssl");
      const cRate = median(c.map(rate));
      const cP99 = median(c.map((f) => f.p99Us));
      const cP50 = median(c.map((f) => f.p50Us));
      const cCpu = median(c.map((f) => f.cpuMsPerRequest));
      console.log(`  ${s.name.padEnd(14)} cfssl              ${Math.round(cRate)} req/s, p50 ${(cP50 / 1000).toFixed(2)} ms, p99 ${(cP99 / 1000).toFixed(2)} ms, CPU ${cCpu.toFixed(3)} ms/req, RSS ${median(c.map((f) => f.rssMiB[0]!)).toFixed(0)} MiB`);
      for (const label of ["kubeca", "kubeca --workers 1", ...(BEFORE ? ["before"] : [])]) {
        const k = of(label);
        const kRate = median(k.map(rate));
        const kP99 = median(k.map((f) => f.p99Us));
        const kP50 = median(k.map((f) => f.p50Us));
        const kCpu = median(k.map((f) => f.cpuMsPerRequest));
        const rss = k.map((f) => Math.max(...f.rssMiB.slice(f.rssMiB.length > 1 ? 1 : 0)));
        console.log(
          `  ${s.name.padEnd(14)} ${label.padEnd(18)} ${Math.round(kRate)} req/s (${(kRate / cRate).toFixed(2)}×), p50 ${(kP50 / 1000).toFixed(2)} ms (${(kP50 / cP50).toFixed(2)}×), p99 ${(kP99 / 1000).toFixed(2)} ms (${(kP99 / cP99).toFixed(2)}×), CPU ${kCpu.toFixed(3)} ms/req (${(kCpu / cCpu).toFixed(2)}×), largest worker RSS ${median(rss).toFixed(0)} MiB`,
        );
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
