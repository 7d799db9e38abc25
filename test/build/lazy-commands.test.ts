// `kubeca --help`, `kubeca <command> --help` and the node-side commands start fast because the built
// CLI loads a command's code only when it runs. Read from the build's metafile: what each chunk loads
// before anything runs (its static imports, transitively) holds no AWS SDK, fastify or Kubernetes client.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { built, BUILT, ROOT } from "../support/built.js";

interface Metafile {
  outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown>; imports: { path: string; kind: string; external?: boolean }[] }>;
}

const HEAVY = /node_modules\/(@aws-sdk|@smithy|fastify|@fastify|@kubernetes\/client-node)\//;

function staticallyLoaded(meta: Metafile, entry: string): Set<string> {
  const start = Object.keys(meta.outputs).find((o) => meta.outputs[o]!.entryPoint === entry);
  assert.ok(start, `a chunk for ${entry}`);
  const seen = new Set<string>();
  const inputs = new Set<string>();
  const visit = (output: string) => {
    if (seen.has(output)) return;
    seen.add(output);
    for (const input of Object.keys(meta.outputs[output]!.inputs)) inputs.add(input);
    for (const i of meta.outputs[output]!.imports) if (i.kind === "import-statement" && !i.external) visit(i.path);
  };
  visit(start);
  return inputs;
}

describe("the built CLI's lazy command loading", () => {
  built(BUILT.cli);
  const meta = JSON.parse(readFileSync(join(ROOT, "dist", "cli", "kubeca.meta.json"), "utf8")) as Metafile;

  for (const entry of ["src/cli/kubeca.ts", "src/cli/commands/status.ts", "src/cli/commands/renew.ts", "src/cli/commands/version.ts", "src/cli/commands/policy-check.ts"]) {
    it(`${entry} loads no AWS SDK, fastify or Kubernetes client`, () => {
      const heavy = [...staticallyLoaded(meta, entry)].filter((i) => HEAVY.test(i));
      assert.deepEqual(heavy, []);
    });
  }

  it("(serve does load fastify and kubelet-signer the Kubernetes client: the check sees them)", () => {
    assert.ok([...staticallyLoaded(meta, "src/cli/commands/serve.ts")].some((i) => /node_modules\/fastify\//.test(i)));
    assert.ok([...staticallyLoaded(meta, "src/cli/commands/kubelet-signer.ts")].some((i) => /node_modules\/@kubernetes\/client-node\//.test(i)));
  });

  it("the entry chunk holds the command table and help texts, no command module", () => {
    const entryInputs = staticallyLoaded(meta, "src/cli/kubeca.ts");
    assert.ok([...entryInputs].some((i) => i === "src/cli/help/renew.ts"));
    assert.deepEqual([...entryInputs].filter((i) => i.startsWith("src/cli/commands/")), []);
  });
});
