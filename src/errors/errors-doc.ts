// The operator's page of every error: rendered from the one table so the two cannot drift.
import { ERRORS, problemType, type ErrorCode } from "./codes.js";

export function renderErrorsDoc(): string {
  const rows = (Object.keys(ERRORS) as ErrorCode[]).map((code) => {
    const e = ERRORS[code];
    return `| \`${code}\` | ${e.status} | ${e.title} | ${e.fix.replaceAll("|", "\\|")} |`;
  });
  return [
    "# kubeca errors",
    "",
    "<!-- Generated from src/errors/codes.ts by `npm run docs:errors`; do not edit by hand. -->",
    "",
    "Every error kubeca answers is `application/problem+json` (RFC 9457) with `code` set to one of these,",
    `and \`type\` set to \`${problemType("KUBECA_INTERNAL").replace("internal", "<code>")}\` (the code without \`KUBECA_\`, lower case, dashes).`,
    "Refusals carry `violations`: each names the field and the rule it broke. The CLI prints the same title,",
    "detail and fix, and exits 1 (refused or failed), 2 (usage or configuration) or 3 (unavailable: retry later).",
    "",
    "| code | HTTP | title | how to fix |",
    "|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}
