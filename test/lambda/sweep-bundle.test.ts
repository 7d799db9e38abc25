// The built kubelet sweep, end to end: dist/lambda/kubelet-sweep.mjs as `npm run build` wrote it,
// imported in a fresh Node process as Lambda would, with a packaged config whose CA key lives in a local
// KMS-protocol server and a kubeconfig file for the local apiserver; one scheduled invocation signs a
// pending serving CSR. The source-level sweep tests (test/kubelet/sweep.test.ts) cannot see what the
// bundle resolves differently (package entry points, stubbed modules, lazily loaded chunks).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { startHarness, type Harness } from "../kubelet/harness.js";
import { TEST_AWS_CREDENTIALS as credentials, writeKmsCa } from "../support/kms-ca.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { built, ROOT } from "../support/built.js";
import { lambdaContext } from "./api-gateway-events.js";
import { scheduledEvent } from "./scheduled-event.js";


// Imports the bundle in a child process (a cold start), invokes `handler` once and writes its result
// to a file (stdout belongs to the function's log).
const INVOKE = `
import { readFileSync, writeFileSync } from "node:fs";
const [bundle, eventFile, outFile] = process.argv.slice(2);
const { handler } = await import(bundle);
const { event, context } = JSON.parse(readFileSync(eventFile, "utf8"));
writeFileSync(outFile, JSON.stringify(await handler(event, context)));
process.exit(0);
`;

describe("the built kubelet sweep", () => {
  let dir: string;
  let kms: KmsServer;
  let h: Harness;
  let caPem: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "kubeca-sweep-bundle-"));
    kms = await startKmsServer();
    h = await startHarness();
    const ca = await writeKmsCa(kms, join(dir, "task"));
    caPem = ca.pem;
    writeFileSync(
      join(dir, "task", "kubeca.yaml"),
      [
        "apiVersion: kubeca.dev/v1alpha1",
        "kind: Config",
        "cluster: { etcd: { local: false } }",
        ...ca.configLines,
        "nodes:",
        "  - { name: cp-1, role: control-plane, advertiseAddress: 10.0.0.10 }",
        "kubeletSigner: { nodeWaitSeconds: 0 }",
        "audit:",
        `  path: ${join(dir, "audit.jsonl")}`,
      ].join("\n"),
    );
    writeFileSync(join(dir, "task", "kubeconfig"), h.server.kubeConfig("kubeca-lambda").exportConfig());
    writeFileSync(join(dir, "invoke.mjs"), INVOKE);
  });
  after(async () => {
    await h?.close();
    await kms?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("signs a pending honest serving CSR in one scheduled invocation, with a certificate from the KMS-held CA", async () => {
    const csr = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] });
    writeFileSync(join(dir, "event.json"), JSON.stringify({ event: scheduledEvent(), context: lambdaContext }));
    await promisify(execFile)(process.execPath, [join(dir, "invoke.mjs"), built(join(ROOT, "dist", "lambda", "kubelet-sweep.mjs")), join(dir, "event.json"), join(dir, "out.json")], {
      env: {
        PATH: process.env.PATH ?? "",
        LAMBDA_TASK_ROOT: join(dir, "task"),
        KUBECA_CONFIG_FILE: "kubeca.yaml",
        KUBECA_KUBECONFIG_FILE: "kubeconfig",
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: "true",
      },
    });
    const summary = JSON.parse(readFileSync(join(dir, "out.json"), "utf8"));
    assert.equal(summary.leader, true);
    assert.equal(summary.errors, 0);
    assert.equal(summary.outcomes.sign, 1, JSON.stringify(summary));
    const issued = h.csr(csr).status?.certificate;
    assert.ok(issued, "the CSR carries a certificate");
    const leaf = new X509Certificate(Buffer.from(issued, "base64"));
    assert.ok(leaf.verify(new X509Certificate(caPem).publicKey), "the certificate verifies against the CA");
    assert.equal(leaf.subject, "O=system:nodes\nCN=system:node:cp-1");
    const records = readFileSync(join(dir, "audit.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const serial = BigInt(`0x${leaf.serialNumber}`).toString(16);
    assert.ok(
      records.some((r) => JSON.stringify(r).includes(serial)),
      `an audit record names the certificate's serial ${serial}: ${records.map((r) => r.event).join(",")}`,
    );
  });
});
