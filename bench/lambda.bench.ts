// The Lambda bundle: its size (the files a cold start loads, from the metafile), the time to import it,
// the first invoke of a cold start (config, KMS GetPublicKey, audit store) and a signature on a warm
// instance, each in a fresh Node process as Lambda runs it, against the local KMS server; and, rounds
// interleaved, import + first /healthz of a bare fastify + @fastify/aws-lambda bundle built with the same
// esbuild options, the baseline of issue 11's goal (≤ 1.25×), of kubeca with the same config written as
// JSON (read without the YAML parser), and each one's main-thread CPU, which a busy machine disturbs
// least. Node 22 (Lambda's) when tools/node22 is installed; KUBECA_BENCH_NODE names another node binary
// (`node` for Node 20). Figures only. KUBECA_BENCH_ROUNDS (5) interleaved rounds; KUBECA_BENCH_BEFORE:
// another built checkout (its dist/lambda, e.g. main's) measured in the same rounds, with its size:
//   (cd /tmp/before && node scripts/build.mjs lambda) && KUBECA_BENCH_BEFORE=/tmp/before npm run bench -- lambda
import { execFile, execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { build } from "esbuild";
import { parse as parseYaml } from "yaml";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { createCaCertificate, randomSerial } from "../src/pki/index.js";
import { createSigner } from "../src/signers/index.js";
import { httpApiEvent, lambdaContext } from "../test/lambda/api-gateway-events.js";
import { startKmsServer } from "../test/support/kms-server.js";
import { buildCsr, withCommonName, withOrganizations } from "../test/support/csr-builder.js";
import { NODE22 } from "../test/support/built.js";
import { readMetafile, staticallyLoaded } from "../test/support/metafile.js";

const NODE = process.env.KUBECA_BENCH_NODE ?? (existsSync(NODE22) ? NODE22 : process.execPath);
const ROUNDS = Number(process.env.KUBECA_BENCH_ROUNDS ?? 5);
const BEFORE = process.env.KUBECA_BENCH_BEFORE;

// The baseline: fastify and its Lambda adapter, nothing else, answering /healthz.
const BARE = `
import Fastify from "fastify";
import awsLambdaFastify from "@fastify/aws-lambda";
const app = Fastify();
app.get("/healthz", async () => ({ status: "ok" }));
export const handler = awsLambdaFastify(app);
`;

// The handler writes its metrics (CloudWatch EMF lines) to stdout too: the child's figures are the line
// that starts with this.
const RESULT_PREFIX = "kubeca-bench-result ";

/** The figures a child printed, among the handler's own stdout lines. */
function resultOf(stdout: string): any {
  const line = stdout.split("\n").findLast((l) => l.startsWith(RESULT_PREFIX));
  if (!line) throw new Error(`the child printed no result line:\n${stdout}`);
  return JSON.parse(line.slice(RESULT_PREFIX.length));
}

// In a fresh child process: import the bundle named on the command line, then invoke /healthz once.
const IMPORT_AND_FIRST_INVOKE = `
import { readFileSync } from "node:fs";
const [bundle, eventsFile] = process.argv.slice(2);
const { events, context } = JSON.parse(readFileSync(eventsFile, "utf8"));
// The main thread's CPU time (Node 22; the process's on Node 20): less disturbed by a busy machine than
// the wall clock.
const cpu = () => { const u = (process.threadCpuUsage ?? process.cpuUsage)(); return (u.user + u.system) / 1000; };
const c0 = cpu();
const t0 = performance.now();
const { handler } = await import(bundle);
const t1 = performance.now();
const first = await handler(events.health, context);
const t2 = performance.now();
const cpuMs = cpu() - c0;
const RESULT = ${JSON.stringify(RESULT_PREFIX)};
`;

// Import and first /healthz only, for both bundles alike.
const COLD = `${IMPORT_AND_FIRST_INVOKE}
process.stdout.write("\\n" + RESULT + JSON.stringify({ importMs: t1 - t0, firstInvokeMs: t2 - t1, cpuMs, status: first.statusCode }) + "\\n");
process.exit(0);
`;

/** Bytes of an entry and every chunk it imports statically: what a cold start reads. */
function coldStartBytes(metafile: string, entry: string): number {
  const meta = readMetafile(metafile);
  const start = Object.keys(meta.outputs).find((o) => o.endsWith(entry))!;
  return [...staticallyLoaded(meta, start)].reduce((n, o) => n + meta.outputs[o]!.bytes, 0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const root = resolve(import.meta.dirname, "..");
const TOKEN = "bench-lambda-token-0123456789";

// Runs in the child: times the import, the first invoke (cold start work), then signatures.
const CHILD = `${IMPORT_AND_FIRST_INVOKE}
const sign1 = await handler(events.sign, context);
const t3 = performance.now();
const warm = [];
for (let i = 0; i < 20; i++) { const s = performance.now(); await handler(events.sign, context); warm.push(performance.now() - s); }
warm.sort((a, b) => a - b);
process.stdout.write("\\n" + RESULT + JSON.stringify({ importMs: t1 - t0, firstInvokeMs: t2 - t1, firstSignMs: t3 - t2, warmSignP50Ms: warm[10], statuses: [first.statusCode, sign1.statusCode] }) + "\\n");
process.exit(0);
`;

export async function benchLambda(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "kubeca-bench-lambda-"));
  const kms = await startKmsServer();
  try {
    execFileSync(process.execPath, [join(root, "scripts", "build.mjs"), "lambda", "--outdir", join(dir, "dist")], { stdio: "pipe" });
    const bundle = join(dir, "dist", "lambda", "http.mjs");
    // The bare bundle with the options scripts/build.mjs gives the Lambda handlers.
    writeFileSync(join(dir, "bare-entry.mjs"), BARE);
    const bare = await build({
      entryPoints: [join(dir, "bare-entry.mjs")],
      absWorkingDir: root,
      nodePaths: [join(root, "node_modules")],
      outfile: join(dir, "bare", "http.mjs"),
      bundle: true,
      platform: "node",
      target: "node20",
      minify: true,
      keepNames: true,
      format: "esm",
      metafile: true,
      logLevel: "warning",
      banner: { js: 'import { createRequire as __r } from "node:module"; const require = __r(import.meta.url);' },
    });
    const bareBytes = Object.values(bare.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
    const keyArn = (await kms.createKey("ECC_NIST_P256")).arn;
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
    const signer = await createSigner({ type: "aws-kms", keyId: keyArn, region: "us-east-1", endpoint: kms.url, rsaPadding: "pkcs1", timeoutMs: 3000 }, { credentials });
    const now = Date.now();
    const der = await createCaCertificate({ commonName: "kubernetes", signer, serial: randomSerial(), notBefore: new Date(now - 60_000), notAfter: new Date(now + 365 * 86_400_000) });
    mkdirSync(join(dir, "task", "pki"), { recursive: true });
    writeFileSync(join(dir, "task", "pki", "ca.crt"), new X509Certificate(der).toString());
    writeFileSync(
      join(dir, "task", "kubeca.yaml"),
      [
        "apiVersion: kubeca.dev/v1alpha1",
        "kind: Config",
        "cluster: { etcd: { local: false } }",
        "cas: { ca: { certificate: { file: pki/ca.crt }, signer: { type: aws-kms, keyId: '" + keyArn + "', region: us-east-1, endpoint: '" + kms.url + "' } } }",
        "nodes: [{ name: cp1, role: control-plane, advertiseAddress: 10.0.0.10 }]",
        `callers: { tokens: [{ name: cp1, sha256: ${createHash("sha256").update(TOKEN).digest("hex")}, node: cp1 }] }`,
        `audit: { path: ${join(dir, "audit.jsonl")} }`,
      ].join("\n"),
    );
    // The same config written as JSON, which kubeca reads without its YAML parser.
    writeFileSync(join(dir, "task", "kubeca.json"), JSON.stringify(parseYaml(readFileSync(join(dir, "task", "kubeca.yaml"), "utf8")), null, 2));
    const csr = buildCsr(withCommonName("kubernetes-admin"), withOrganizations("kubeadm:cluster-admins")).pem;
    writeFileSync(
      join(dir, "events.json"),
      JSON.stringify({
        context: lambdaContext,
        events: {
          health: httpApiEvent({ method: "GET", path: "/healthz" }),
          sign: httpApiEvent({ method: "POST", path: "/v1/sign", headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ name: "admin.conf", csr }) }),
        },
      }),
    );
    writeFileSync(join(dir, "child.mjs"), CHILD);
    writeFileSync(join(dir, "cold.mjs"), COLD);
    const env = {
      PATH: process.env.PATH ?? "",
      LAMBDA_TASK_ROOT: join(dir, "task"),
      KUBECA_CONFIG_FILE: "kubeca.yaml",
      KUBECA_LOG_LEVEL: "warn",
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: "true",
    };
    const run = async (script: string, target: string, config = "kubeca.yaml") =>
      resultOf((await promisify(execFile)(NODE, [join(dir, script), target, join(dir, "events.json")], { env: { ...env, KUBECA_CONFIG_FILE: config } })).stdout);
    const { stdout } = await promisify(execFile)(NODE, [join(dir, "child.mjs"), bundle, join(dir, "events.json")], { env });
    const r = resultOf(stdout) as { importMs: number; firstInvokeMs: number; firstSignMs: number; warmSignP50Ms: number; statuses: number[] };
    const cold = { kubeca: [] as number[], json: [] as number[], bare: [] as number[], before: [] as number[] };
    const cpu = { kubeca: [] as number[], json: [] as number[], bare: [] as number[], before: [] as number[] };
    const beforeBundle = BEFORE ? join(resolve(BEFORE), "dist", "lambda", "http.mjs") : undefined;
    const loads: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      loads.push(loadavg()[0]!);
      const k = await run("cold.mjs", bundle);
      const b = await run("cold.mjs", join(dir, "bare", "http.mjs"));
      const j = await run("cold.mjs", bundle, "kubeca.json");
      if (k.status !== 200 || b.status !== 200 || j.status !== 200) throw new Error(`cold start answered ${k.status} / ${b.status} / ${j.status} (JSON config)`);
      cold.json.push(j.importMs + j.firstInvokeMs);
      cpu.json.push(j.cpuMs);
      cold.kubeca.push(k.importMs + k.firstInvokeMs);
      cold.bare.push(b.importMs + b.firstInvokeMs);
      cpu.kubeca.push(k.cpuMs);
      cpu.bare.push(b.cpuMs);
      if (beforeBundle) {
        const p = await run("cold.mjs", beforeBundle);
        if (p.status !== 200) throw new Error(`the before bundle's cold start answered ${p.status}`);
        cold.before.push(p.importMs + p.firstInvokeMs);
        cpu.before.push(p.cpuMs);
      }
    }
    const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
    console.log(`\nLambda bundle (node ${execFileSync(NODE, ["--version"]).toString().trim()}; Lambda runs nodejs22.x), local KMS server`);
    console.log(`  dist/lambda/http.mjs + chunks a cold start loads  ${kib(coldStartBytes(join(dir, "dist", "lambda", "lambda.meta.json"), "/lambda/http.mjs"))}   (goal ≤ 1024 KiB)`);
    const sweepMeta = join(dir, "dist", "lambda", "lambda.meta.json");
    console.log(`  dist/lambda/kubelet-sweep.mjs + chunks            ${kib(coldStartBytes(sweepMeta, "/lambda/kubelet-sweep.mjs"))}`);
    console.log(`  bare fastify + @fastify/aws-lambda, same options  ${kib(bareBytes)}`);
    console.log(`  import                        ${r.importMs.toFixed(0)} ms`);
    console.log(`  first invoke (cold start)     ${r.firstInvokeMs.toFixed(0)} ms   (config, KMS GetPublicKey, audit store; status ${r.statuses[0]})`);
    console.log(`  first signature               ${r.firstSignMs.toFixed(1)} ms   (status ${r.statuses[1]})`);
    console.log(`  warm signature, p50 of 20     ${r.warmSignP50Ms.toFixed(1)} ms`);
    const k = median(cold.kubeca);
    const b = median(cold.bare);
    console.log(`  import + first /healthz, median of ${ROUNDS} interleaved: kubeca ${k.toFixed(0)} ms, bare ${b.toFixed(0)} ms: ${(k / b).toFixed(2)}× (goal ≤ 1.25×; load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)})`);
    const kc = median(cpu.kubeca);
    const bc = median(cpu.bare);
    console.log(`  main-thread CPU of the same, median: kubeca ${kc.toFixed(0)} ms, bare ${bc.toFixed(0)} ms: ${(kc / bc).toFixed(2)}×`);
    const jw = median(cold.json);
    const jc = median(cpu.json);
    console.log(`  the config as JSON (kubeca.json), same rounds: ${jw.toFixed(0)} ms: ${(jw / b).toFixed(2)}× bare; main-thread CPU ${jc.toFixed(0)} ms: ${(jc / bc).toFixed(2)}× bare`);
    if (beforeBundle) {
      const p = median(cold.before);
      const beforeMeta = join(resolve(BEFORE!), "dist", "lambda", "lambda.meta.json");
      console.log(`  before (${BEFORE}): http.mjs + chunks ${kib(coldStartBytes(beforeMeta, "/lambda/http.mjs"))}, kubelet-sweep.mjs + chunks ${kib(coldStartBytes(beforeMeta, "/lambda/kubelet-sweep.mjs"))}`);
      console.log(`  before, import + first /healthz in the same rounds: ${p.toFixed(0)} ms: ${(p / b).toFixed(2)}× bare; main-thread CPU ${median(cpu.before).toFixed(0)} ms: ${(median(cpu.before) / bc).toFixed(2)}× bare`);
    }
  } finally {
    await kms.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
