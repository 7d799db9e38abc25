// schema/kubeca-config.schema.json is generated from the zod schema and must not go stale; editors
// that validate with it accept the configs kubeca accepts and flag what kubeca refuses.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { prepareDevEnvironment, sampleConfig } from "../../src/cli/dev-environment.js";
import { CONFIG_SCHEMA_PATH, configJsonSchemaText } from "../../src/config/json-schema.js";

const root = new URL("../../", import.meta.url);
const published = readFileSync(new URL(CONFIG_SCHEMA_PATH, root), "utf8");

// ajv is fastify's validator (installed with it); here it plays the editor's part.
type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
const Ajv = createRequire(import.meta.url)("ajv").default as new (o: object) => { compile(schema: object): Validate };
const validate = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(JSON.parse(published));

describe(CONFIG_SCHEMA_PATH, () => {
  it("is what npm run schema generates from src/config/schema.ts now (run npm run schema when this fails)", () => {
    assert.equal(published, configJsonSchemaText());
  });

  it("accepts the spec §6 config and the development sample config", () => {
    const section6 = parse(readFileSync(new URL("test/policy/policy-check/section6.yaml", root), "utf8"));
    for (const [name, config] of [["§6", section6], ["dev sample", sampleConfig("0".repeat(64))]] as const) {
      assert.ok(validate(config), `${name}: ${JSON.stringify(validate.errors)}`);
    }
  });

  it("flags an unknown field, a bad role and a missing required field", () => {
    const section6 = parse(readFileSync(new URL("test/policy/policy-check/section6.yaml", root), "utf8"));
    section6.nodes[0].role = "master";
    section6.nodez = [];
    delete section6.cas;
    assert.equal(validate(section6), false);
    const where = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    assert.ok(where.some((w) => w.startsWith("/nodes/0/role")), where.join("\n"));
    assert.ok(where.some((w) => w.includes("additional properties")), where.join("\n"));
    assert.ok(where.some((w) => w.includes("'cas'")), where.join("\n"));
  });

  it("the development config written by kubeca serve --dev points editors at it on its first line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kubeca-dev-schema-"));
    try {
      const env = await prepareDevEnvironment(dir);
      const first = (await readFile(env.configPath, "utf8")).split("\n")[0]!;
      const m = /^# yaml-language-server: \$schema=(\.\/\S+)$/.exec(first);
      assert.ok(m, first);
      assert.equal(readFileSync(join(dirname(env.configPath), m[1]!), "utf8"), published);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
