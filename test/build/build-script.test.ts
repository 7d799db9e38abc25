// scripts/build.mjs --if-changed, as `npm start` and `npm pack` use it: it builds when dist/ has no
// record of the artifact or the recorded hash of the inputs differs, and otherwise leaves dist/ alone.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT } from "../support/built.js";
import { run } from "../support/processes.js";

describe("node scripts/build.mjs cli --if-changed", () => {
  let out: string;
  const build = (...args: string[]) => run(process.execPath, [join(ROOT, "scripts", "build.mjs"), "cli", "--if-changed", "--outdir", out, ...args], { cwd: ROOT });
  before(async () => {
    out = await mkdtemp(join(tmpdir(), "kubeca-build-"));
  });
  after(() => rm(out, { recursive: true, force: true }));

  it("builds into an empty dist and records the inputs' hash", async () => {
    const r = await build();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dist\/cli\/kubeca\.mjs|kubeca\.mjs: \d/);
    const info = JSON.parse(readFileSync(join(out, "build-info.json"), "utf8"));
    assert.match(info.artifacts.cli.inputs, /^[0-9a-f]{64}$/);
    assert.equal(info.artifacts.cli.version, JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });

  it("leaves an up-to-date build alone", async () => {
    const before = statSync(join(out, "cli", "kubeca.mjs")).mtimeMs;
    const r = await build();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(statSync(join(out, "cli", "kubeca.mjs")).mtimeMs, before);
  });

  it("rebuilds when the recorded hash is not the inputs' hash", async () => {
    const infoPath = join(out, "build-info.json");
    const info = JSON.parse(readFileSync(infoPath, "utf8"));
    info.artifacts.cli.inputs = "0".repeat(64);
    writeFileSync(infoPath, JSON.stringify(info));
    const r = await build();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /kubeca\.mjs: \d/);
    assert.notEqual(JSON.parse(readFileSync(infoPath, "utf8")).artifacts.cli.inputs, "0".repeat(64));
  });

  it("refuses an unknown artifact, naming the known ones", async () => {
    const r = await run(process.execPath, [join(ROOT, "scripts", "build.mjs"), "docker", "--outdir", out], { cwd: ROOT });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown artifact docker; artifacts: cli, lambda, single-file, executable/);
  });
});

describe("node scripts/build.mjs lambda", () => {
  let out: string;
  before(async () => {
    out = await mkdtemp(join(tmpdir(), "kubeca-build-lambda-"));
  });
  after(() => rm(out, { recursive: true, force: true }));

  it("leaves no chunk of an earlier build in dist/lambda/chunks, which serverless.yml packages whole", async () => {
    const build = () => run(process.execPath, [join(ROOT, "scripts", "build.mjs"), "lambda", "--outdir", out], { cwd: ROOT });
    const first = await build();
    assert.equal(first.code, 0, first.stderr);
    const chunks = join(out, "lambda", "chunks");
    const stale = join(chunks, "chunk-STALE0000.mjs");
    writeFileSync(stale, "export {};\n");
    const second = await build();
    assert.equal(second.code, 0, second.stderr);
    assert.equal(existsSync(stale), false, "a chunk no build wrote was packaged");
    const meta = JSON.parse(readFileSync(join(out, "lambda", "lambda.meta.json"), "utf8")) as { outputs: Record<string, unknown> };
    const written = Object.keys(meta.outputs).filter((o) => o.includes("/chunks/")).map((o) => o.slice(o.lastIndexOf("/") + 1));
    assert.deepEqual(readdirSync(chunks).sort(), written.sort());
  });
});
