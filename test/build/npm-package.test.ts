// `npm pack` and `npm install -g ./kubeca-*.tgz` into a clean prefix, as a user installs kubeca from a
// release tarball: the tarball holds the built CLI and no sources or tests, the install fetches nothing
// (every dependency is inside the bundle), and the installed `kubeca` runs.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { built, BUILT, ROOT } from "../support/built.js";
import { run } from "../support/processes.js";

describe("the npm package", () => {
  let dir: string;
  let files: string[];
  let tarball: string;
  before(async () => {
    built(BUILT.cli); // packed as built: no prepack rebuild under the other tests' feet
    dir = await mkdtemp(join(tmpdir(), "kubeca-pack-"));
    const packed = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], { cwd: ROOT });
    assert.equal(packed.code, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
    files = info!.files.map((f) => f.path);
    tarball = join(dir, info!.filename);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("holds the built CLI, its bin and the docs, and no sources, tests or build metadata", () => {
    for (const f of ["bin/kubeca.js", "dist/cli/kubeca.mjs", "package.json", "README.md", "schema/kubeca-config.schema.json"]) assert.ok(files.includes(f), `${f} in ${files.join(" ")}`);
    assert.ok(files.some((f) => f.startsWith("dist/cli/chunks/")));
    assert.deepEqual(files.filter((f) => /^(src|test|bench|scripts|tools|infra)\//.test(f) || f.endsWith(".meta.json") || f.endsWith(".ts")), []);
  });

  it("installs with npm install -g into a clean prefix, fetching nothing, and the installed kubeca runs", async () => {
    const prefix = join(dir, "prefix");
    const env = { ...process.env, npm_config_prefix: prefix, npm_config_cache: join(dir, "cache"), npm_config_offline: "true", npm_config_audit: "false", npm_config_fund: "false" };
    const installed = await run("npm", ["install", "-g", tarball], { cwd: dir, env });
    assert.equal(installed.code, 0, installed.stdout + installed.stderr);
    assert.match(installed.stdout, /added 1 package/);

    const kubeca = join(prefix, "bin", "kubeca");
    const version = await run(kubeca, ["--version"], { cwd: dir });
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^kubeca \d+\.\d+\.\d+ \(commit [0-9a-f]{12}(-dirty)?; cli; Node\.js v/);
    const help = await run(kubeca, ["status", "--help"], { cwd: dir });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: kubeca status /);
    const usage = await run(kubeca, ["policy", "check", join(dir, "missing.yaml")], { cwd: dir });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /cannot read .*missing\.yaml/);
  });
});
