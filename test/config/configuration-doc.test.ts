// docs/configuration.md: its reference is generated from the zod schema's descriptions and current,
// every field has a description, a new signer type would appear without a change to the generator, and
// the two production examples it shows are what `kubeca policy check` accepts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { main } from "../../src/cli/main.js";
import { configFieldRows, configReference, renderConfigurationDoc } from "../../src/config/config-doc.js";
import { configJsonSchema } from "../../src/config/json-schema.js";
import { loadConfigFile } from "../../src/config/index.js";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
const page = read("docs/configuration.md");
const EXAMPLES = ["docs/examples/kubeca-lambda.yaml", "docs/examples/kubeca-server.yaml"];

async function policyCheck(path: string): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  const code = await main(["policy", "check", new URL(path, root).pathname], { stdout, stderr, env: {}, cwd: process.cwd() });
  return { code, out, err };
}

describe("docs/configuration.md", () => {
  it("is what npm run docs:config renders now (run it when this fails)", () => {
    assert.equal(page, renderConfigurationDoc(page, read));
  });

  it("describes every field of the schema", () => {
    const rows = configFieldRows();
    assert.ok(rows.length > 100, `only ${rows.length} fields`);
    assert.deepEqual(
      rows.filter((r) => r.description.trim() === "").map((r) => `${r.path} ${r.when}`.trim()),
      [],
      "add .describe() to these fields in src/config/schema.ts",
    );
    for (const path of ["cas.ca.signer.keyId", "audit.table", "callers.proof.replayCache.table", "kubeletSigner.addressSource.cacheSeconds"]) {
      assert.ok(rows.some((r) => r.path === path), `${path} is in the reference`);
      assert.ok(page.includes(`| \`${path}\``), `${path} is on the page`);
    }
  });

  it("a signer type added to the schema's union appears, with its fields, without a change to the generator", () => {
    const schema = structuredClone(configJsonSchema()) as any;
    schema.properties.cas.properties.ca.properties.signer.oneOf.push({
      type: "object",
      properties: {
        type: { type: "string", const: "vault-transit", description: "A key in Vault's transit engine." },
        mount: { type: "string", description: "The transit engine's mount." },
      },
      required: ["type", "mount"],
      additionalProperties: false,
    });
    const reference = configReference(schema);
    assert.match(reference, /\| `cas\.ca\.signer\.mount` \(type: vault-transit\) \| string \| \*\*required\*\* \| The transit engine's mount\. \|/);
    assert.match(reference, /\| `cas\.ca\.signer` \| \{type: aws-kms\} or \{type: memory\} or \{type: pkcs11\} or \{type: vault-transit\} \|/);
  });

  for (const path of EXAMPLES) {
    it(`shows ${path} verbatim, and kubeca policy check accepts it`, async () => {
      assert.ok(page.includes("```yaml\n" + read(path) + "```\n"), `${path} is on the page as it is`);
      const r = await policyCheck(path);
      assert.equal(r.code, 0, r.err + r.out);
      assert.match(r.out, /: valid\n/);
    });
  }

  it("the examples are production configs: KMS signers only; Lambda's state in DynamoDB, the server's audit log in a file", async () => {
    const lambda = (await loadConfigFile(new URL(EXAMPLES[0]!, root).pathname)).config;
    const server = (await loadConfigFile(new URL(EXAMPLES[1]!, root).pathname)).config;
    for (const config of [lambda, server]) {
      assert.deepEqual(Object.values(config.cas).map((ca) => ca!.signer.type), ["aws-kms", "aws-kms", "aws-kms"]);
    }
    assert.ok(Object.values(lambda.cas).every((ca) => ca!.signer.type === "aws-kms" && ca!.signer.keyId.startsWith("arn:aws:kms:")), "keys by ARN");
    assert.deepEqual([lambda.audit.store, lambda.idempotency.store, lambda.callers.proof.replayCache.store], ["dynamodb", "dynamodb", "dynamodb"]);
    assert.ok(Object.values(server.cas).every((ca) => ca!.signer.type === "aws-kms" && ca!.signer.region && ca!.signer.endpoint), "region and endpoint");
    assert.equal(server.audit.store, "file");
  });
});
