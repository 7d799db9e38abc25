// How long 1,000 pending kubelet CSRs take from creation to issued certificate, through the real
// @kubernetes/client-node against the local fake apiserver (so HTTP round trips are local, and the
// CA is a memory signer: a KMS adds its latency per certificate). The fake apiserver runs in this
// process, so the CPU figures include its share (about a fifth). Prints figures; never passes or
// fails on time. Run: node --import tsx bench/kubelet.bench.ts
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createAuditLog } from "../src/audit/index.js";
import { timedAppends } from "./timed-audit.js";
import { CertificatesV1Api } from "@kubernetes/client-node";
import { AuditConfig, KubeletSignerConfig as KubeletSignerSchema } from "../src/config/index.js";
import { createKubeletController } from "../src/kubelet/controller.js";
import { compileKubeletPolicy } from "../src/kubelet/kubelet-policy.js";
import { silentLog } from "../src/kubelet/kubelet-log.js";
import { runSweep } from "../src/kubelet/sweep.js";
import { startFakeApiserver, type FakeApiserver } from "../test/support/fake-apiserver.js";
import { kubeletCsrPem, requestField } from "../test/kubelet/kubelet-csr.js";
import { MemoryAuditLog } from "../test/kubelet/memory-audit-log.js";
import { counterSerial, createTestCa, lookup } from "../test/kubelet/test-ca.js";

const policy = compileKubeletPolicy({
  keys: { allowed: ["ECDSA-P256"] },
  kubeletSigner: { ...KubeletSignerSchema.parse({}), nodeWaitSeconds: 0 },
});

function nodeName(i: number): string {
  return `node-${i}`;
}
function nodeIp(i: number): string {
  return `10.1.${i >> 8}.${i & 255}`;
}

async function setup(n: number): Promise<{ server: FakeApiserver; requests: string[] }> {
  const server = await startFakeApiserver();
  server.bookmarkIntervalMs = 60_000;
  const requests: string[] = [];
  for (let i = 0; i < n; i++) {
    server.addNode(nodeName(i), [
      { type: "Hostname", address: nodeName(i) },
      { type: "InternalIP", address: nodeIp(i) },
    ]);
    requests.push(requestField(await kubeletCsrPem({ cn: `system:node:${nodeName(i)}`, dns: [nodeName(i)], ips: [nodeIp(i)] })));
  }
  return { server, requests };
}

/** Creates the CSRs as their nodes would, `parallel` at a time; returns the CSR names in order. */
async function createAll(server: FakeApiserver, requests: string[], parallel = 32): Promise<string[]> {
  const names: string[] = new Array(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      const api = server.kubeConfig(`node:${nodeName(i)}`).makeApiClient(CertificatesV1Api);
      const out = await api.createCertificateSigningRequest({
        body: { metadata: { generateName: "csr-" }, spec: { request: requests[i]!, signerName: "kubernetes.io/kubelet-serving", usages: ["digital signature", "server auth"] } },
      });
      names[i] = out.metadata!.name!;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return names;
}

async function allIssued(server: FakeApiserver, names: string[]): Promise<void> {
  const want = new Set(names);
  // Only the writes added since the last look: rescanning them all every few ms cost the signer
  // (same process) a tenth of its CPU.
  let seen = 0;
  let issued = 0;
  while (true) {
    const writes = server.writes;
    for (; seen < writes.length; seen++) {
      const w = writes[seen]!;
      if (w.setsCertificate && w.status === 200 && want.has(w.name)) issued++;
    }
    if (issued >= names.length) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function latencies(server: FakeApiserver, names: string[]): number[] {
  const created = new Map<string, number>();
  const issued = new Map<string, number>();
  for (const w of server.writes) {
    if (w.method === "POST" && w.status === 201) created.set(w.name, w.at);
    if (w.setsCertificate && w.status === 200) issued.set(w.name, w.at);
  }
  return names.map((n) => issued.get(n)! - created.get(n)!).sort((a, b) => a - b);
}

function report(label: string, n: number, ms: number, lat?: number[]): void {
  const rate = (n / (ms / 1000)).toFixed(0);
  const extra = lat ? `  per CSR p50 ${percentile(lat, 50).toFixed(0)} ms, p95 ${percentile(lat, 95).toFixed(0)} ms, p99 ${percentile(lat, 99).toFixed(0)} ms` : "";
  console.log(`${label.padEnd(58)} ${(ms / 1000).toFixed(2).padStart(6)} s  ${rate.padStart(5)} CSR/s${extra}`);
}

/**
 * Issue 11's figure: a backlog of `n` pending CSRs, timed from the moment this replica holds the Lease
 * to the last certificate written, with the durable file audit log (fsync, group commit) kubeca
 * kubelet-signer uses by default. `workers` undefined: the controller's default.
 */
export async function backlogFromLeadership(n: number, workers: number | undefined, ca: Awaited<ReturnType<typeof createTestCa>>): Promise<void> {
  const { server, requests } = await setup(n);
  const names = await createAll(server, requests);
  const dir = await mkdtemp(join(tmpdir(), "kubeca-bench-kubelet-"));
  const store = await createAuditLog(AuditConfig.parse({ store: "file", path: "audit.jsonl" }), dir);
  const { audit, appendMs } = timedAppends(store);
  const controller = createKubeletController({
    kubeConfig: server.kubeConfig("kubeca-a"),
    policy,
    audit,
    cas: lookup(ca),
    serial: counterSerial(),
    now: () => new Date(),
    log: silentLog,
    identity: "kubeca-a",
    ...(workers === undefined ? {} : { workers }),
  });
  controller.start();
  while (!controller.leading) await new Promise((r) => setTimeout(r, 1));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await allIssued(server, names);
  const cpu = process.cpuUsage(cpu0);
  report(`backlog from leadership, file audit (fsync), ${workers ?? "default"} workers, load ${loadavg()[0]!.toFixed(1)}`, n, performance.now() - t0);
  // The figure least disturbed by a busy machine: signer and fake apiserver together.
  console.log(`  process CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (${((cpu.user + cpu.system) / 1000 / n).toFixed(2)} ms per CSR)`);
  const sorted = appendMs.sort((a, b) => a - b);
  console.log(`  audit appends: ${sorted.length}, p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms`);
  await controller.stop();
  await store.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}

export async function benchKubelet(n = 1000, workers = 4): Promise<void> {
  console.log(`kubelet signer, ${n} serving CSRs (P-256), fake apiserver on loopback, memory CA signer, node ${process.version}`);
  {
    const ca = await createTestCa("ca");
    // 4: the default before issue 11, next to today's default.
    for (const w of [4, undefined]) await backlogFromLeadership(n, w, ca);
  }
  const ca = await createTestCa("ca");
  const deps = (server: FakeApiserver, identity: string) => ({
    kubeConfig: server.kubeConfig(identity),
    policy,
    audit: new MemoryAuditLog(),
    cas: lookup(ca),
    serial: counterSerial(),
    now: () => new Date(),
    log: silentLog,
    identity,
  });

  // 1. The controller is running (leader, watching); CSRs arrive 32 at a time.
  {
    const { server, requests } = await setup(n);
    const controller = createKubeletController({ ...deps(server, "kubeca-a"), workers });
    controller.start();
    while (!controller.leading || !controller.ready()) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    const names = await createAll(server, requests);
    await allIssued(server, names);
    report(`watching controller, ${workers} workers, CSRs arriving`, n, performance.now() - t0, latencies(server, names));
    await controller.stop();
    await server.close();
  }
  // 2. A backlog: all CSRs pending before the controller starts (first list path).
  {
    const { server, requests } = await setup(n);
    const names = await createAll(server, requests);
    const t0 = performance.now();
    const controller = createKubeletController({ ...deps(server, "kubeca-a"), workers });
    controller.start();
    await allIssued(server, names);
    report(`controller started on a backlog, ${workers} workers`, n, performance.now() - t0);
    await controller.stop();
    await server.close();
  }
  // 3. The Lambda's one pass over the same backlog.
  {
    const { server, requests } = await setup(n);
    const names = await createAll(server, requests);
    const t0 = performance.now();
    const summary = await runSweep({ ...deps(server, "kubeca-lambda"), concurrency: workers });
    report(`one sweep pass (Lambda), concurrency ${workers}`, n, performance.now() - t0);
    if (summary.outcomes.sign !== names.length) console.log(`  (sweep signed ${summary.outcomes.sign} of ${names.length})`);
    await server.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchKubelet(Number(process.env.BENCH_CSRS ?? 1000), Number(process.env.BENCH_WORKERS ?? 4));
}
