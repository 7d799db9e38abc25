// POST /v1/sign through the service as `kubeca serve` composes it (createApp: authenticator, rate limiter
// set high, idempotency, pipeline, file audit log with fsync), loaded from a worker thread over loopback.
// Every request carries a CSR not sent before, so each one is a real signature, except in the scenario
// that measures idempotent replays. Prints certificates/s and p50/p99 latency; never pass/fail.
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { stringify } from "yaml";
import { loadConfigFile } from "../src/config/index.js";
import { createApp } from "../src/server/index.js";
import { startKmsServer } from "../test/support/kms-server.js";
import { buildCsr, newKey, withCommonName, withKey, withOrganizations, type CsrKeyType } from "../test/support/csr-builder.js";

export const TOKEN = "bench-token-0123456789abcdef";

export interface LoadResult {
  latencies: number[];
  statuses: Record<string, number>;
  seconds: number;
  /** With `scrape`: how long each GET of the scrape path took, in microseconds, and its size. */
  scrapes?: { micros: number; bytes: number; status: number }[];
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function load(url: string, bodies: string[], concurrency: number, requests: number, scrape?: { path: string; everyMs: number }): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./load-worker.mjs", import.meta.url), {
      workerData: {
        url,
        path: "/v1/sign",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        bodies,
        concurrency,
        requests,
        maxSeconds: 60,
        scrape,
      },
    });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

// Client files signed by `ca` that a control-plane node may ask for: one key gives five distinct CSRs.
const CLIENT_FILES: readonly [string, string, string[]][] = [
  ["kubelet.conf", "system:node:cp-1", ["system:nodes"]],
  ["admin.conf", "kubernetes-admin", ["kubeadm:cluster-admins"]],
  ["scheduler.conf", "system:kube-scheduler", []],
  ["controller-manager.conf", "system:kube-controller-manager", []],
  ["apiserver-kubelet-client", "kube-apiserver-kubelet-client", ["kubeadm:cluster-admins"]],
];

/** `n` request bodies, no two alike: fresh keys, each used for every client file. */
export function distinctBodies(key: CsrKeyType, n: number): string[] {
  const bodies: string[] = [];
  while (bodies.length < n) {
    const k = newKey(key);
    for (const [name, cn, o] of CLIENT_FILES) {
      const csr = buildCsr(withKey(key, k), withCommonName(cn), ...(o.length ? [withOrganizations(...o)] : [])).pem;
      bodies.push(JSON.stringify({ name, csr }));
    }
  }
  return bodies.slice(0, n);
}

const OPERATOR_TOKEN = "bench-operator-0123456789abcdef";

async function scenario(label: string, signer: Record<string, unknown>, bodies: string[], concurrency: number, dev: boolean, warmUp: string[] = [], rotating = false) {
  const dir = await mkdtemp(join(tmpdir(), "kubeca-bench-"));
  // `rotating`: ca names a next CA and is moved to trust-both, so every request resolves the phase
  // (re-read from the rotation state file once a second).
  const ca = { certificate: { file: "pki/ca.crt" }, signer, ...(rotating ? { next: { certificate: { file: "pki/ca-next.crt" }, signer } } : {}) };
  const config = {
    apiVersion: "kubeca.dev/v1alpha1",
    kind: "Config",
    cluster: { kubernetesVersion: "1.34", controlPlaneEndpoint: "k8s.example.internal:6443", etcd: { local: false } },
    cas: { ca },
    nodes: [{ name: "cp-1", role: "control-plane", advertiseAddress: "10.0.0.10" }],
    callers: {
      tokens: [{ name: "bench", sha256: createHash("sha256").update(TOKEN).digest("hex"), node: "cp-1" }],
      operators: [{ name: "bench-operator", sha256: createHash("sha256").update(OPERATOR_TOKEN).digest("hex") }],
    },
    rotation: { refreshSeconds: 1 },
    audit: { store: "file", path: "audit.jsonl" },
    // Out of the way: the benchmark measures signing, not the limiter's refusals.
    rateLimits: { perCaller: { ratePerSecond: 1e6, burst: 1e6 }, overall: { ratePerSecond: 1e6, burst: 1e6 } },
  };
  await writeFile(join(dir, "kubeca.yaml"), stringify(config));
  const loaded = await loadConfigFile(join(dir, "kubeca.yaml"));
  if (!dev) {
    // Make the CA certificate through the KMS key first, as `kubeca ca init` does.
    const { main } = await import("../src/cli/main.js");
    const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
    const code = await main(["ca", "init", "--config", join(dir, "kubeca.yaml")], { stdout: quiet, stderr: quiet, env: process.env, cwd: dir });
    if (code !== 0) throw new Error("ca init failed in the benchmark");
  }
  const app = await createApp(loaded, { dev, logger: false });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    if (rotating) {
      const res = await fetch(`${url}/v1/ca/rotation`, {
        method: "POST",
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ ca: "ca", action: "prepare", expect: "idle" }),
      });
      if (res.status !== 200) throw new Error(`prepare failed in the benchmark: ${res.status} ${await res.text()}`);
    }
    if (warmUp.length) await load(url, warmUp, concurrency, warmUp.length);
    const r = await load(url, bodies, concurrency, bodies.length);
    const sorted = r.latencies.sort((a, b) => a - b);
    const ok = r.statuses["200"] ?? 0;
    console.log(
      `${label.padEnd(58)} ${String(Math.round(ok / r.seconds)).padStart(6)} certs/s  p50 ${(percentile(sorted, 50) / 1000).toFixed(2).padStart(6)} ms  p99 ${(percentile(sorted, 99) / 1000).toFixed(2).padStart(6)} ms  (${JSON.stringify(r.statuses)})`,
    );
  } finally {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchHttp(options: { requests?: number } = {}): Promise<void> {
  const requests = options.requests ?? 6000;
  console.log(`\nPOST /v1/sign over loopback, one server process, node ${process.version} (client-certificate CSRs, file audit log)`);
  const memory = { type: "memory", algorithm: "ECDSA-P256" };
  const warmUp = distinctBodies("P-256", 500);
  const p256 = distinctBodies("P-256", requests);
  await scenario("memory P-256 CA, P-256 CSRs, 32 connections", memory, p256, 32, true, warmUp);
  await scenario("memory P-256 CA in a CA rotation (trust-both), 32 conns", memory, p256, 32, true, warmUp, true);
  await scenario("memory P-256 CA, RSA-2048 CSRs, 32 connections", memory, distinctBodies("RSA-2048", 1000), 32, true, warmUp);
  await scenario("memory P-256 CA, P-256 CSRs, 1 connection", memory, p256.slice(0, 1500), 1, true, warmUp);
  // The same 50 CSRs again and again: every answer after the first 50 is an idempotent replay.
  const replays = Array.from({ length: requests }, (_, i) => p256[i % 50]!);
  await scenario("memory P-256 CA, idempotent replays of 50 CSRs, 32 conns", memory, replays, 32, true);

  process.env.AWS_ACCESS_KEY_ID ??= "AKIDEXAMPLE";
  process.env.AWS_SECRET_ACCESS_KEY ??= "secret";
  process.env.AWS_REGION ??= "us-east-1";
  const kms = await startKmsServer();
  try {
    const key = await kms.createKey("ECC_NIST_P256");
    for (const latency of [0, 10]) {
      kms.setLatency(latency);
      const signer = { type: "aws-kms", keyId: key.arn, endpoint: kms.url };
      // The local KMS server signs with @noble/curves in this same process, so these figures
      // include its CPU; a real KMS adds network latency instead.
      await scenario(`local KMS (+${latency} ms per call) P-256, P-256 CSRs, 32 connections`, signer, p256.slice(0, 2000), 32, false, warmUp.slice(0, 200));
    }
  } finally {
    await kms.close();
  }
}
