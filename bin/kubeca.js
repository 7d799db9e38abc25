#!/usr/bin/env node
// The installed `kubeca` command: runs the TypeScript sources through tsx's loader.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

// The project's tsconfig, whatever the working directory: @peculiar/asn1-schema needs legacy decorators.
register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
const { main } = await import("../src/cli/main.ts");
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
if (code !== 0 || process.argv[2] !== "serve") process.exitCode = code;
