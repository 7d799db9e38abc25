// `npm run docs:config`: fills docs/configuration.md's generated parts, the reference of every config
// field (from src/config/schema.ts's descriptions) and the example configs under docs/examples/.
// test/config/configuration-doc.test.ts fails when the page is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { renderConfigurationDoc } from "../src/config/config-doc.js";

const root = resolve(import.meta.dirname, "..");
const page = resolve(root, "docs", "configuration.md");
writeFileSync(page, renderConfigurationDoc(readFileSync(page, "utf8"), (path) => readFileSync(resolve(root, path), "utf8")));
console.log("wrote docs/configuration.md");
