// `kubeca --help`, `kubeca <command> --help` and the node-side commands start fast because the built
// CLI loads a command's code only when it runs. Read from the build's metafile: what each chunk loads
// before anything runs (its static imports, transitively) holds no AWS SDK, fastify or Kubernetes client.
// `serve` loads the AWS SDK only for a config that names KMS signers or DynamoDB stores (memory it
// would hold for nothing otherwise), and the built CLI still reaches a DynamoDB audit log.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { createAuditLog } from "../../src/audit/index.js";
import { loadConfigFile } from "../../src/config/index.js";
import { built, BUILT, ROOT } from "../support/built.js";
import { startDynalite, type Dynalite } from "../support/dynalite.js";
import { readMetafile, staticallyLoaded, type Metafile } from "../support/metafile.js";
import { rawConfig } from "../issuance/service-fixture.js";

const HEAVY = /node_modules\/(@aws-sdk|@smithy|fastify|@fastify|@kubernetes\/client-node)\//;

/** The source files an entry point's process runs before anything loads lazily. */
function inputsLoaded(meta: Metafile, entry: string): Set<string> {
  const start = Object.keys(meta.outputs).find((o) => meta.outputs[o]!.entryPoint === entry);
  assert.ok(start, `a chunk for ${entry}`);
  return new Set([...staticallyLoaded(meta, start)].flatMap((output) => Object.keys(meta.outputs[output]!.inputs)));
}

describe("the built CLI's lazy command loading", () => {
  built(BUILT.cli);
  const meta = readMetafile(join(ROOT, "dist", "cli", "kubeca.meta.json"));

  for (const entry of ["src/cli/kubeca.ts", "src/cli/commands/status.ts", "src/cli/commands/renew.ts", "src/cli/commands/version.ts", "src/cli/commands/policy-check.ts"]) {
    it(`${entry} loads no AWS SDK, fastify or Kubernetes client`, () => {
      const heavy = [...inputsLoaded(meta, entry)].filter((i) => HEAVY.test(i));
      assert.deepEqual(heavy, []);
    });
  }

  it("(serve does load fastify and kubelet-signer the Kubernetes client: the check sees them)", () => {
    assert.ok([...inputsLoaded(meta, "src/cli/commands/serve.ts")].some((i) => /node_modules\/fastify\//.test(i)));
    assert.ok([...inputsLoaded(meta, "src/cli/commands/kubelet-signer.ts")].some((i) => /node_modules\/@kubernetes\/client-node\//.test(i)));
  });

  it("the entry chunk holds the command table and help texts, no command module", () => {
    const entryInputs = inputsLoaded(meta, "src/cli/kubeca.ts");
    assert.ok([...entryInputs].some((i) => i === "src/cli/help/renew.ts"));
    assert.deepEqual([...entryInputs].filter((i) => i.startsWith("src/cli/commands/")), []);
  });
});

describe("serve and the AWS SDK", () => {
  built(BUILT.cli);
  const meta = readMetafile(join(ROOT, "dist", "cli", "kubeca.meta.json"));
  const ON_DEMAND = ["src/signers/aws-kms.ts", "src/audit/dynamodb-store.ts", "src/issuance/dynamodb-idempotency-store.ts", "src/auth/dynamodb-replay-cache.ts", "src/issuance/dynamodb-rotation-store.ts"];

  it("serve loads no AWS SDK before its config asks: the KMS signer and the DynamoDB stores are chunks of their own", () => {
    const loaded = inputsLoaded(meta, "src/cli/commands/serve.ts");
    assert.deepEqual([...loaded].filter((i) => /node_modules\/(@aws-sdk|@smithy)\//.test(i)), []);
    const bundled = new Set(Object.values(meta.outputs).flatMap((o) => Object.keys(o.inputs)));
    for (const module of ON_DEMAND) {
      assert.ok(bundled.has(module), `${module} is in the CLI bundle`);
      assert.ok(!loaded.has(module), `${module} is loaded only on demand`);
    }
  });

  describe("the built CLI with a DynamoDB audit log", () => {
    let dynamo: Dynalite;
    let dir: string;
    before(async () => {
      dynamo = await startDynalite();
      await dynamo.createAuditTable("kubeca-audit");
      dir = await mkdtemp(join(tmpdir(), "kubeca-lazy-sdk-"));
      const raw = rawConfig({});
      raw.audit = { store: "dynamodb", table: "kubeca-audit", chain: "lazy", endpoint: dynamo.endpoint, region: "us-east-1" };
      await writeFile(join(dir, "kubeca.yaml"), stringify(raw));
    });
    after(async () => {
      await dynamo?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it("audit list loads the DynamoDB store on demand and reads the records written to the table", async () => {
      const { config, baseDir } = await loadConfigFile(join(dir, "kubeca.yaml"));
      const log = await createAuditLog(config.audit, baseDir, { dynamoDbClient: dynamo.client() });
      await log.append({
        event: "node-retired",
        requestId: "lazy-sdk-1",
        actor: { method: "token", identity: "ops", node: undefined, sourceIp: undefined, userAgent: undefined },
        message: "worker-9 left the cluster",
      });
      await log.close();
      const { stdout } = await promisify(execFile)(process.execPath, [BUILT.cli, "audit", "list", "--config", join(dir, "kubeca.yaml"), "--output", "json"], {
        env: { ...process.env, AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret" },
      });
      const records = JSON.parse(stdout).records as { seq: number; event: string; requestId: string }[];
      assert.deepEqual(
        records.map((r) => [r.seq, r.event, r.requestId]),
        [[1, "node-retired", "lazy-sdk-1"]],
      );
    });
  });
});
