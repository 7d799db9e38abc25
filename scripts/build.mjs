#!/usr/bin/env node
// Bundles the Lambda handlers: src/lambda/http.ts → dist/lambda/http.mjs and the scheduled kubelet
// signer src/lambda/kubelet-sweep.ts → dist/lambda/kubelet-sweep.mjs (each exports `handler`).
// One ESM file for Node 20 and 22, dependencies included (the AWS SDK too, so its version is the one
// we pinned, not the runtime's). Prints the bundle size and its largest inputs.
//   node scripts/build.mjs [--outdir DIR]
import { build } from "esbuild";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { outdir: { type: "string", default: join(root, "dist", "lambda") } } });
const outdir = resolve(values.outdir);

// Bundled CommonJS dependencies call require() for Node built-ins; ESM has no `require`, so the
// first invoke would fail on "Dynamic require of ... is not supported" without this banner.
const banner = [
  'import { createRequire as __kubecaCreateRequire } from "node:module";',
  'import { fileURLToPath as __kubecaFileURLToPath } from "node:url";',
  "const require = __kubecaCreateRequire(import.meta.url);",
  "const __filename = __kubecaFileURLToPath(import.meta.url);",
  'const __dirname = __filename.slice(0, __filename.lastIndexOf("/"));',
].join("\n");

const result = await build({
  entryPoints: ["http", "kubelet-sweep"].map((name) => join(root, "src", "lambda", `${name}.ts`)),
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  // Keep class and function names: error names (ThrottlingException, KubecaError) are read at runtime.
  keepNames: true,
  // The PKCS#11 signer's native addon: Lambda cannot load PKCS#11 modules (lambda/lambda-signers.ts refuses them).
  external: ["pkcs11js"],
  banner: { js: banner },
  legalComments: "eof",
  metafile: true,
  logLevel: "warning",
});

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const [outfile, output] of Object.entries(result.metafile.outputs)) {
  const byPackage = new Map();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = match ? match[1] : "kubeca (src/)";
    byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
  }
  console.log(`${outfile}: ${kib(output.bytes)}`);
  for (const [name, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
    console.log(`  ${kib(bytes).padStart(10)}  ${name}`);
  }
}
