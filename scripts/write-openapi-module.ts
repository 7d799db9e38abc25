// `npm run openapi`: writes src/server/openapi-document.ts, the text of openapi/openapi.yaml as a module,
// so `kubeca serve`, the Lambda bundle and the single executable serve the same document without a
// source tree. test/server/openapi-document.test.ts fails when the module is stale.
//   node --import tsx scripts/write-openapi-module.ts
import { readFile, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const yaml = await readFile(resolve(root, "openapi/openapi.yaml"), "utf8");
const text = [
  "// Generated from openapi/openapi.yaml by `npm run openapi`; do not edit. Served at GET /openapi.yaml",
  "// and (parsed) GET /openapi.json; test/server/openapi-document.test.ts fails when this is stale.",
  `export const OPENAPI_YAML = ${JSON.stringify(yaml)};`,
  "",
].join("\n");
await writeFile(resolve(root, "src/server/openapi-document.ts"), text);
console.log("wrote src/server/openapi-document.ts");
