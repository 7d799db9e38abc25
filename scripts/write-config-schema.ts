// `npm run schema`: writes schema/kubeca-config.schema.json from the zod config schema.
//   node --import tsx scripts/write-config-schema.ts
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CONFIG_SCHEMA_PATH, configJsonSchemaText } from "../src/config/json-schema.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const target = resolve(root, CONFIG_SCHEMA_PATH);
await mkdir(dirname(target), { recursive: true });
await writeFile(target, configJsonSchemaText());
console.log(`wrote ${CONFIG_SCHEMA_PATH}`);
