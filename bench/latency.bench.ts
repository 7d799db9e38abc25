// Where the time of one request goes at c=1, with a KMS-protocol server that adds a fixed delay per
// call (on its own thread): parse + policy (the pipeline's own work), the KMS Sign call, the audit
// append (sealing, write, fsync), and HTTP (fastify, authentication, JSON: the server's time for the
// request outside the pipeline, from fastify's own request timer). The service composed as createApp
// composes it, with timers around the KMS client's send, the audit log's append and the service's sign.
// "own" is the server's time less the Sign call and the audit append (issue 11's goal: ≤ 1 ms p50);
// the client's latency, which adds the load generator's HTTP client and loopback, is printed too.
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { KMSClient } from "@aws-sdk/client-kms";
import { stringify } from "yaml";
import { createAuditLog } from "../src/audit/index.js";
import { createAuthenticator } from "../src/auth/create-authenticator.js";
import { loadConfigFile } from "../src/config/index.js";
import { createIssuanceService } from "../src/issuance/create-service.js";
import { buildServer } from "../src/server/index.js";
import { createRateLimiter } from "../src/server/rate-limiter.js";
import { distinctBodies } from "./http.bench.js";
import { timedAppends } from "./timed-audit.js";

const TOKEN = "bench-token-0123456789abcdef";
const REQUESTS = 300;

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

function load(url: string, bodies: string[]): Promise<{ latencies: number[] }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./load-worker.mjs", import.meta.url), {
      workerData: { url, path: "/v1/sign", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, bodies, concurrency: 1, requests: bodies.length, maxSeconds: 120 },
    });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

async function kmsThread(latencyMs: number): Promise<{ url: string; arn: string; stop(): Promise<void> }> {
  const worker = new Worker(new URL("./kms-thread.mjs", import.meta.url), { workerData: { latencyMs } });
  const { url, arn } = await new Promise<{ url: string; arn: string }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return { url, arn, stop: async () => void (worker.postMessage("stop"), await new Promise((r) => worker.once("exit", r))) };
}

export async function benchLatency(): Promise<void> {
  process.env.AWS_ACCESS_KEY_ID ??= "AKIDEXAMPLE";
  process.env.AWS_SECRET_ACCESS_KEY ??= "secret";
  process.env.AWS_REGION ??= "us-east-1";
  console.log(`\nLatency of one request at c=1, node ${process.version}: KMS-protocol server on its own thread, P-256 CSRs, file audit log (fsync)`);

  // Timers around the three parts, in call order (c=1: the i-th of each belongs to the i-th request).
  const kmsMs: number[] = [];
  const send = KMSClient.prototype.send;
  KMSClient.prototype.send = async function (this: KMSClient, command: any, ...rest: any[]) {
    const start = performance.now();
    try {
      return await (send as any).call(this, command, ...rest);
    } finally {
      if (command?.constructor?.name === "SignCommand") kmsMs.push(performance.now() - start);
    }
  } as typeof send;

  try {
    for (const latency of [0, 20]) {
      const kms = await kmsThread(latency);
      const dir = await mkdtemp(join(tmpdir(), "kubeca-bench-latency-"));
      try {
        const config = {
          apiVersion: "kubeca.dev/v1alpha1",
          kind: "Config",
          cluster: { kubernetesVersion: "1.34", controlPlaneEndpoint: "k8s.example.internal:6443", etcd: { local: false } },
          cas: { ca: { certificate: { file: "pki/ca.crt" }, signer: { type: "aws-kms", keyId: kms.arn, endpoint: kms.url } } },
          nodes: [{ name: "cp-1", role: "control-plane", advertiseAddress: "10.0.0.10" }],
          callers: { tokens: [{ name: "bench", sha256: createHash("sha256").update(TOKEN).digest("hex"), node: "cp-1" }] },
          audit: { store: "file", path: "audit.jsonl" },
          rateLimits: { perCaller: { ratePerSecond: 1e6, burst: 1e6 }, overall: { ratePerSecond: 1e6, burst: 1e6 } },
        };
        await writeFile(join(dir, "kubeca.yaml"), stringify(config));
        const { main } = await import("../src/cli/main.js");
        const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
        if ((await main(["ca", "init", "--config", join(dir, "kubeca.yaml")], { stdout: quiet, stderr: quiet, env: process.env, cwd: dir })) !== 0) throw new Error("ca init failed");
        const loaded = await loadConfigFile(join(dir, "kubeca.yaml"));

        const store = await createAuditLog(loaded.config.audit, loaded.baseDir);
        const { audit, appendMs: auditMs } = timedAppends(store);
        const service = await createIssuanceService(loaded, { audit });
        const pipelineMs: number[] = [];
        const timedService = {
          ...service,
          async sign(...args: Parameters<typeof service.sign>) {
            const start = performance.now();
            try {
              return await service.sign(...args);
            } finally {
              pipelineMs.push(performance.now() - start);
            }
          },
        };
        const caCertificates = new Map([...service.issuingCas].map(([name, ca]) => [name, ca.info.der] as const));
        const app = buildServer({
          service: timedService,
          authenticator: await createAuthenticator(loaded.config, { caCertificates }),
          rateLimiter: createRateLimiter(loaded.config.rateLimits),
          logger: { level: "info", stream: { write: () => undefined } } as never,
        });
        const serverMs: number[] = [];
        app.addHook("onResponse", async (_request, reply) => {
          serverMs.push(reply.elapsedTime);
        });
        const url = await app.listen({ host: "127.0.0.1", port: 0 });
        try {
          await load(url, distinctBodies("P-256", 100)); // warm up
          kmsMs.length = 0;
          auditMs.length = 0;
          pipelineMs.length = 0;
          serverMs.length = 0;
          const { latencies } = await load(url, distinctBodies("P-256", REQUESTS));
          const client = latencies.map((us) => us / 1000);
          const own = serverMs.map((t, i) => t - (kmsMs[i] ?? NaN) - (auditMs[i] ?? NaN));
          const parse = pipelineMs.map((t, i) => t - (kmsMs[i] ?? NaN) - (auditMs[i] ?? NaN));
          const http = serverMs.map((t, i) => t - (pipelineMs[i] ?? NaN));
          const outside = client.map((t, i) => t - (serverMs[i] ?? NaN));
          const row = (label: string, xs: number[]) => console.log(`  ${label.padEnd(44)} p50 ${p50(xs).toFixed(2).padStart(6)} ms  p99 ${p99(xs).toFixed(2).padStart(6)} ms`);
          console.log(`  KMS server +${latency} ms per call, ${REQUESTS} requests, load ${loadavg()[0]!.toFixed(2)}`);
          row("client latency (total)", client);
          row("  of which outside the server (client, loopback)", outside);
          row("server time (fastify's request timer)", serverMs);
          row("KMS Sign call", kmsMs);
          row("audit append (seal, write, fsync)", auditMs);
          row("parse + policy + TBS (pipeline less KMS, audit)", parse);
          row("HTTP (fastify, auth, JSON; server less pipeline)", http);
          row("own: server less KMS and audit (goal ≤ 1 ms p50)", own);
        } finally {
          await app.close();
          await service.close();
          await store.close();
        }
      } finally {
        await kms.stop();
        await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    KMSClient.prototype.send = send;
  }
}
