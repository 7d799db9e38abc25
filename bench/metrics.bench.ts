// What metrics cost issuance: POST /v1/sign over loopback through the app `kubeca serve` composes
// (memory P-256 CA, file audit log with fsync), without metrics, with Prometheus metrics and no
// scrape, and with a scrape of /metrics every second, as Prometheus would; then the same with a fleet
// of 10,000 node certificates in the audit log (10,000 series of the expiry gauge in every scrape).
// Each scenario runs twice, interleaved, because the machine is shared. Figures only.
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { checkpointPathFor, createFileAuditStore } from "../src/audit/index.js";
import { loadConfigFile } from "../src/config/index.js";
import { ServeMetrics } from "../src/metrics/prometheus.js";
import { createApp } from "../src/server/index.js";
import { distinctBodies, load, percentile, TOKEN } from "./http.bench.js";

type Mode = "none" | "prometheus" | "prometheus + scrape every 1 s";

async function writeFleet(records: string, nodes: number): Promise<void> {
  const store = createFileAuditStore({ paths: { records, checkpoints: checkpointPathFor(records) }, now: () => new Date(), randomUUID: () => crypto.randomUUID() });
  const appends: Promise<unknown>[] = [];
  for (let i = 0; i < nodes; i++) {
    const node = `worker-${i}`;
    appends.push(
      store.append({
        event: "kubelet-csr-signed",
        requestId: `bench-${i}`,
        actor: { method: "kubernetes-csr", identity: `system:node:${node}`, node, sourceIp: undefined, userAgent: undefined },
        request: { file: `csr-${i}`, profile: "kubernetes.io/kubelet-serving", csrSha256: undefined, publicKeySha256: undefined, keyAlgorithm: undefined, subject: `CN=system:node:${node},O=system:nodes`, dnsNames: [], ipAddresses: [] },
        result: { serial: i.toString(16), issuer: "ca", notBefore: "2026-01-01T00:00:00.000Z", notAfter: new Date(Date.UTC(2027, 0, 1) + i * 1000).toISOString(), certificateSha256: "0".repeat(64) },
      }),
    );
  }
  await Promise.all(appends);
  await store.close();
}

async function scenario(mode: Mode, bodies: string[], fleet: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "kubeca-bench-metrics-"));
  const config = {
    apiVersion: "kubeca.dev/v1alpha1",
    kind: "Config",
    cluster: { kubernetesVersion: "1.34", controlPlaneEndpoint: "k8s.example.internal:6443", etcd: { local: false } },
    cas: { ca: { certificate: { file: "pki/ca.crt" }, signer: { type: "memory", algorithm: "ECDSA-P256" } } },
    nodes: [{ name: "cp-1", role: "control-plane", advertiseAddress: "10.0.0.10" }],
    callers: { tokens: [{ name: "bench", sha256: createHash("sha256").update(TOKEN).digest("hex"), node: "cp-1" }] },
    audit: { store: "file", path: "audit.jsonl" },
    rateLimits: { perCaller: { ratePerSecond: 1e6, burst: 1e6 }, overall: { ratePerSecond: 1e6, burst: 1e6 } },
  };
  await writeFile(join(dir, "kubeca.yaml"), stringify(config));
  if (fleet > 0) await writeFleet(join(dir, "audit.jsonl"), fleet);
  const prometheus = mode === "none" ? undefined : new ServeMetrics({ version: "bench" });
  const app = await createApp(await loadConfigFile(join(dir, "kubeca.yaml")), { dev: true, logger: false, ...(prometheus ? { prometheus } : {}) });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    if (prometheus) {
      // The start-up read of the log finishes before the load, so every scrape carries the whole fleet.
      while (!(await prometheus.text()).includes("kubeca_node_certificate_inventory_loaded 1")) await new Promise((r) => setTimeout(r, 10));
    }
    await load(url, bodies.slice(0, 300), 32, 300); // warm-up
    const scrape = mode === "prometheus + scrape every 1 s" ? { path: "/metrics", everyMs: 1000 } : undefined;
    const r = await load(url, bodies.slice(300), 32, bodies.length - 300, scrape);
    const sorted = r.latencies.sort((a, b) => a - b);
    const ok = r.statuses["200"] ?? 0;
    const scrapes = r.scrapes ?? [];
    const scrapeText = scrapes.length
      ? `  ${scrapes.length} scrapes, ${(scrapes.reduce((n, s) => n + s.micros, 0) / scrapes.length / 1000).toFixed(1)} ms and ${Math.round(scrapes[0]!.bytes / 1024)} KiB each`
      : "";
    console.log(
      `${`${mode}${fleet ? `, ${fleet} nodes in the fleet` : ""}`.padEnd(58)} ${String(Math.round(ok / r.seconds)).padStart(6)} certs/s  p50 ${(percentile(sorted, 50) / 1000).toFixed(2).padStart(6)} ms  p99 ${(percentile(sorted, 99) / 1000).toFixed(2).padStart(6)} ms${scrapeText}`,
    );
  } finally {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** What one issued certificate adds in CPU: the calls the pipeline makes, timed in a loop. */
function perRequestCost(): void {
  const m = new ServeMetrics({ version: "bench", processMetrics: false });
  const n = 200_000;
  const once = () => {
    m.signDuration("ca", 0.0123);
    m.auditAppend(0.0042);
    m.certificateRequest("issued", "ca", "admin.conf");
  };
  for (let i = 0; i < 20_000; i++) once();
  const t = performance.now();
  for (let i = 0; i < n; i++) once();
  const micros = ((performance.now() - t) * 1000) / n;
  console.log(`${"counters of one issued certificate (sign, audit, outcome)".padEnd(58)} ${micros.toFixed(2).padStart(6)} µs per certificate`);
}

/** The time one scrape holds the event loop, median of 15, for a fleet of `nodes`. */
async function scrapeCost(nodes: number): Promise<void> {
  const m = new ServeMetrics({ version: "bench" });
  for (let i = 0; i < nodes; i++) m.nodeCertificate({ node: `worker-${i}`, file: "kubelet-serving", notAfter: new Date(Date.UTC(2027, 0, 1) + i * 1000).toISOString() });
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    bytes = (await m.text()).length;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`${`one scrape, ${nodes} nodes in the fleet`.padEnd(58)} ${times[7]!.toFixed(1).padStart(6)} ms median (${times[0]!.toFixed(1)} min), ${Math.round(bytes / 1024)} KiB`);
}

export async function benchMetrics(options: { requests?: number } = {}): Promise<void> {
  const requests = options.requests ?? 6000;
  console.log(`\nMetrics cost in CPU, node ${process.version}`);
  perRequestCost();
  for (const nodes of [0, 1000, 10_000]) await scrapeCost(nodes);
  console.log(`\nMetrics cost: POST /v1/sign over loopback, 32 connections, memory P-256 CA, file audit log, node ${process.version}`);
  const bodies = distinctBodies("P-256", requests + 300);
  const modes: Mode[] = ["none", "prometheus", "prometheus + scrape every 1 s"];
  for (const fleet of [0, 10_000]) {
    for (let round = 0; round < 2; round++) {
      for (const mode of modes) {
        if (fleet > 0 && mode === "none") continue;
        await scenario(mode, bodies, fleet);
      }
    }
  }
}
