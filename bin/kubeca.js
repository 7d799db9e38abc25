#!/usr/bin/env node
// The installed `kubeca` command: the compiled CLI (npm run build writes dist/cli/).
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli/kubeca.mjs", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("kubeca: the CLI is not built (no dist/cli/kubeca.mjs); run npm run build in the kubeca checkout\n");
  process.exit(2);
}
await import(cli.href);
