// POST /v1/sign through fastify and the whole pipeline (parse, policy, issue, file audit log with fsync),
// loaded from a worker thread over loopback. Prints certificates/s and p50/p99 latency; never pass/fail.
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { stringify } from "yaml";
import { createTokenAuthenticator } from "../src/auth/bearer-token.js";
import { loadConfigFile } from "../src/config/index.js";
import { createIssuanceService } from "../src/issuance/create-service.js";
import { buildServer } from "../src/server/index.js";
import { startKmsServer } from "../test/support/kms-server.js";
import { buildCsr, newKey, withCommonName, withKey, withOrganizations, type CsrKeyType } from "../test/support/csr-builder.js";

const TOKEN = "bench-token-0123456789abcdef";

interface LoadResult {
  latencies: number[];
  statuses: Record<string, number>;
  seconds: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function load(url: string, bodies: string[], concurrency: number, requests: number): Promise<LoadResult> {
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
      },
    });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

function kubeletConfCsrs(key: CsrKeyType, n: number): string[] {
  return Array.from({ length: n }, () =>
    JSON.stringify({
      name: "kubelet.conf",
      csr: buildCsr(withKey(key, newKey(key)), withCommonName("system:node:cp-1"), withOrganizations("system:nodes")).pem,
    }),
  );
}

async function scenario(label: string, signer: Record<string, unknown>, bodies: string[], requests: number, concurrency: number, dev: boolean) {
  const dir = await mkdtemp(join(tmpdir(), "kubeca-bench-"));
  const ca = { certificate: { file: "pki/ca.crt" }, signer };
  const config = {
    apiVersion: "kubeca.dev/v1alpha1",
    kind: "Config",
    cluster: { kubernetesVersion: "1.34", controlPlaneEndpoint: "k8s.example.internal:6443", etcd: { local: false } },
    cas: { ca },
    nodes: [{ name: "cp-1", role: "control-plane", advertiseAddress: "10.0.0.10" }],
    callers: { tokens: [{ name: "bench", sha256: createHash("sha256").update(TOKEN).digest("hex"), node: "cp-1" }] },
    audit: { store: "file", path: "audit.jsonl" },
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
  const service = await createIssuanceService(loaded, { dev });
  const app = buildServer({ service, authenticator: createTokenAuthenticator(loaded.config.callers.tokens, loaded.config.nodes), logger: false });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    await load(url, bodies.slice(0, 50), concurrency, Math.min(500, requests)); // warm-up
    const r = await load(url, bodies, concurrency, requests);
    const sorted = r.latencies.sort((a, b) => a - b);
    const ok = r.statuses["200"] ?? 0;
    console.log(
      `${label.padEnd(58)} ${String(Math.round(ok / r.seconds)).padStart(6)} certs/s  p50 ${(percentile(sorted, 50) / 1000).toFixed(2).padStart(6)} ms  p99 ${(percentile(sorted, 99) / 1000).toFixed(2).padStart(6)} ms  (${JSON.stringify(r.statuses)})`,
    );
  } finally {
    await app.close();
    await service.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchHttp(options: { requests?: number } = {}): Promise<void> {
  const requests = options.requests ?? 6000;
  console.log(`\nPOST /v1/sign over loopback, one server process, node ${process.version} (kubelet.conf CSRs, file audit log)`);
  const p256 = kubeletConfCsrs("P-256", 200);
  const rsa = kubeletConfCsrs("RSA-2048", 50);
  await scenario("memory P-256 CA, P-256 CSRs, 32 connections", { type: "memory", algorithm: "ECDSA-P256" }, p256, requests, 32, true);
  await scenario("memory P-256 CA, RSA-2048 CSRs, 32 connections", { type: "memory", algorithm: "ECDSA-P256" }, rsa, requests, 32, true);
  await scenario("memory P-256 CA, P-256 CSRs, 1 connection", { type: "memory", algorithm: "ECDSA-P256" }, p256, Math.round(requests / 4), 1, true);

  process.env.AWS_ACCESS_KEY_ID ??= "AKIDEXAMPLE";
  process.env.AWS_SECRET_ACCESS_KEY ??= "secret";
  process.env.AWS_REGION ??= "us-east-1";
  const kms = await startKmsServer();
  try {
    const key = await kms.createKey("ECC_NIST_P256");
    for (const latency of [0, 10]) {
      kms.setLatency(latency);
      const signer = { type: "aws-kms", keyId: key.arn, endpoint: kms.url };
      await scenario(`local KMS (+${latency} ms per call) P-256, P-256 CSRs, 32 connections`, signer, p256, Math.round(requests / 3), 32, false);
    }
  } finally {
    await kms.close();
  }
}
