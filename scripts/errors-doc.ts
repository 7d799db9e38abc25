// Writes docs/errors.md from src/errors/codes.ts: one row per code with its status, title and fix.
// `npm run docs:errors`; test/errors/error-table.test.ts fails when the page is stale.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { renderErrorsDoc } from "../src/errors/errors-doc.js";

writeFileSync(resolve(import.meta.dirname, "..", "docs", "errors.md"), renderErrorsDoc());
