// What an operator waits for and pays for, for each way kubeca ships, next to its baseline in the
// same run: CLI start against `node -e 0`; `kubeca serve` time to its first /healthz 200 and its RSS
// idle and after 1,000 signings; the single executable's size and start. "sources (tsx)" is how
// every command ran before the build (bin/kubeca.js through tsx). Figures only; nothing passes or fails.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { sampleConfig } from "../src/cli/dev-environment.js";
import { BUILT, NODE22, ROOT } from "../test/support/built.js";
import { childPids } from "../test/support/processes.js";
import { distinctBodies } from "./http.bench.js";
import { createHash } from "node:crypto";

const RUNS = 7;
// Another checkout (with node_modules) to compare with, e.g. the commit before the build existed:
//   git archive <commit> | tar -x -C /tmp/before && ln -s $PWD/node_modules /tmp/before/
//   KUBECA_BENCH_BEFORE=/tmp/before npm run bench -- ship
const BEFORE = process.env.KUBECA_BENCH_BEFORE ? [process.execPath, join(process.env.KUBECA_BENCH_BEFORE, "bin", "kubeca.js")] : undefined;
const SOURCES = [process.execPath, "--import", "tsx", join(ROOT, "src", "cli", "kubeca.ts")];
const BUILT_CLI = [process.execPath, BUILT.cli];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median wall time of a command run to completion, in ms. */
function startTime(command: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const r = spawnSync(command[0]!, command.slice(1), { stdio: "ignore", cwd: ROOT });
    times.push(performance.now() - start);
    if (r.status !== 0) throw new Error(`${command.join(" ")} exited ${r.status}`);
  }
  return median(times);
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) / 1024;
}

const row = (label: string, ms: number, baseline: number) => console.log(`  ${label.padEnd(60)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / baseline).toFixed(1).padStart(5)}×`);

async function benchStart(): Promise<void> {
  const node = startTime([process.execPath, "-e", "0"]);
  console.log(`\nCLI start, median of ${RUNS} (× node -e 0 on ${process.version}; goal ≤ 3×)`);
  row("node -e 0", node, node);
  for (const args of [["--help"], ["status", "--help"]]) {
    if (BEFORE) row(`before (${process.env.KUBECA_BENCH_BEFORE}): kubeca ${args.join(" ")}`, startTime([...BEFORE, ...args]), node);
    row(`sources (tsx): kubeca ${args.join(" ")}`, startTime([...SOURCES, ...args]), node);
    row(`dist/cli: kubeca ${args.join(" ")}`, startTime([...BUILT_CLI, ...args]), node);
    row(`dist/kubeca.cjs: kubeca ${args.join(" ")}`, startTime([process.execPath, BUILT.singleFile, ...args]), node);
  }
}

async function benchExecutable(): Promise<void> {
  if (!existsSync(BUILT.executable) || !existsSync(NODE22)) {
    console.log("\nsingle executable: not built (npm ci --prefix tools/node22 && npm run build)");
    return;
  }
  const node22 = startTime([NODE22, "-e", "0"]);
  const size = statSync(BUILT.executable).size;
  console.log(`\nsingle executable dist/kubeca-linux-x64: ${(size / 2 ** 20).toFixed(1)} MiB (Node ${spawnSync(NODE22, ["--version"], { encoding: "utf8" }).stdout.trim()} alone: ${(statSync(NODE22).size / 2 ** 20).toFixed(1)} MiB; kubeca.cjs inside: ${(statSync(BUILT.singleFile).size / 2 ** 20).toFixed(1)} MiB)`);
  console.log(`start, median of ${RUNS} (× node22 -e 0)`);
  row("node22 -e 0", node22, node22);
  for (const args of [["--version"], ["--help"], ["status", "--help"]]) row(`kubeca-linux-x64 ${args.join(" ")}`, startTime([BUILT.executable, ...args]), node22);
  row("node22 dist/kubeca.cjs status --help", startTime([NODE22, BUILT.singleFile, "status", "--help"]), node22);
}

/** serve --dev with the sample cluster, rate limits out of the way: time to /healthz, RSS idle and after signing. */

const rssOfTree = (pid: number) => [pid, ...childPids(pid)].map((p) => rssMiB(p).toFixed(1)).join(" + ");

async function benchServe(label: string, command: string[], bodies: string[], extra: string[] = []): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "kubeca-bench-serve-"));
  const token = "bench-serve-token-0123456789";
  const config = { ...sampleConfig(createHash("sha256").update(token).digest("hex")), rateLimits: { perCaller: { ratePerSecond: 1e6, burst: 1e6 }, overall: { ratePerSecond: 1e6, burst: 1e6 } } };
  await writeFile(join(dir, "config.yaml"), stringify(config));
  await writeFile(join(dir, "token"), token + "\n"); // with both present, --dev keeps this config and token
  const port = 18000 + Math.floor(Math.random() * 2000);
  const start = performance.now();
  const child = spawn(command[0]!, [...command.slice(1), "serve", "--dev", "--dev-dir", dir, "--config", join(dir, "config.yaml"), "--port", String(port), "--log-level", "warn", ...extra], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  try {
    const url = `http://127.0.0.1:${port}`;
    let ready = NaN;
    for (const deadline = start + 60_000; performance.now() < deadline; ) {
      const ok = await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
      if (ok) {
        ready = performance.now() - start;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (Number.isNaN(ready)) throw new Error(`${label}: no /healthz 200 within 60 s`);
    await new Promise((r) => setTimeout(r, 2000)); // let start-up garbage be collected before reading idle RSS
    const idle = rssOfTree(child.pid!);
    let issued = 0;
    for (let i = 0; i < bodies.length; i += 16) {
      const answers = await Promise.all(
        bodies.slice(i, i + 16).map((body) => fetch(`${url}/v1/sign`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body }).then((r) => r.status)),
      );
      issued += answers.filter((s) => s === 200).length;
    }
    const loaded = rssOfTree(child.pid!);
    console.log(`  ${label.padEnd(34)} first /healthz 200 after ${ready.toFixed(0).padStart(5)} ms   RSS idle ${idle} MiB   after ${issued} signings ${loaded} MiB`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchShip(): Promise<void> {
  if (!existsSync(BUILT.cli) || !existsSync(BUILT.singleFile)) throw new Error("run npm run build first");
  await benchStart();
  await benchExecutable();
  const bodies = distinctBodies("P-256", 1000);
  console.log("\nkubeca serve --dev (memory CAs, file audit log; goals per process: /healthz ≤ 1 s, RSS idle ≤ 80 MiB, after 1,000 signings ≤ 100 MiB; with workers: primary + each worker)");
  if (BEFORE) await benchServe("before", BEFORE, bodies);
  await benchServe("sources (tsx), --workers 1", SOURCES, bodies, ["--workers", "1"]);
  await benchServe(`dist/cli, ${process.version}, --workers 1`, BUILT_CLI, bodies, ["--workers", "1"]);
  await benchServe(`dist/cli, ${process.version}, 2 workers`, BUILT_CLI, bodies, ["--workers", "2"]);
  if (existsSync(NODE22)) {
    await benchServe(`dist/cli, Node 22, --workers 1`, [NODE22, BUILT.cli], bodies, ["--workers", "1"]);
    await benchServe(`dist/cli, Node 22, 2 workers`, [NODE22, BUILT.cli], bodies, ["--workers", "2"]);
  }
}
