// `kubeca --help`, `kubeca <command> --help` and the node-side commands start fast because the built
// CLI loads a command's code only when it runs. Read from the build's metafile: what each chunk loads
// before anything runs (its static imports, transitively) holds no AWS SDK, fastify or Kubernetes client.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { built, BUILT, ROOT } from "../support/built.js";
import { readMetafile, staticallyLoaded, type Metafile } from "../support/metafile.js";

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
