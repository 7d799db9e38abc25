// Validate a body with a zod schema; a refusal names every bad path as a violation, at most
// MAX_BODY_VIOLATIONS of them, each as the audit record stores it (record-text), so the answer and the
// record of the refusal hold the same list however hostile the body.
import type * as z from "zod/mini";
import { recordText } from "../audit/index.js";
import { KubecaError, type Violation } from "../errors/index.js";

/** Violations listed for one body; a 64 KiB body of unknown keys would otherwise list thousands. */
export const MAX_BODY_VIOLATIONS = 32;

/**
 * The `rule` of a request-shape violation. Closed set:
 * - `required`: the field (or the whole body) is missing
 * - `type`: the value has the wrong JSON type
 * - `unknown-field`: the field is not in the schema
 * - `too-short` / `too-long`: a string's length is out of bounds
 * - `too-few` / `too-many`: an array's item count is out of bounds
 * - `encoding`: a string is not well-formed Unicode (a lone UTF-16 surrogate)
 * - `format`: any other schema rule
 * - `more-problems`: the last entry when more than MAX_BODY_VIOLATIONS were found, saying how many more
 */
export type BodyRule = "required" | "type" | "unknown-field" | "too-short" | "too-long" | "too-few" | "too-many" | "encoding" | "format" | "more-problems";

function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(body)" : path.map(String).join(".");
}

function violation(path: readonly PropertyKey[], rule: BodyRule, message: string): Violation {
  return { field: recordText(fieldOf(path)), rule, message: recordText(message) };
}

function violationsOf(issue: z.core.$ZodIssue): Violation[] {
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => violation([...issue.path, key], "unknown-field", `unknown field ${key}`));
    case "invalid_type":
      // With reportInput, a missing field is an invalid_type whose input is undefined.
      if (issue.input === undefined) {
        return [violation(issue.path, "required", issue.path.length === 0 ? "a JSON body is required" : "is required")];
      }
      return [violation(issue.path, "type", `must be ${issue.expected === "array" || issue.expected === "object" ? "an" : "a"} ${issue.expected}`)];
    case "too_small":
      return issue.origin === "array"
        ? [violation(issue.path, "too-few", `must have at least ${issue.minimum} items`)]
        : [violation(issue.path, "too-short", `must be at least ${issue.minimum} characters`)];
    case "too_big":
      return issue.origin === "array"
        ? [violation(issue.path, "too-many", `must have at most ${issue.maximum} items`)]
        : [violation(issue.path, "too-long", `must be at most ${issue.maximum} characters`)];
    case "custom":
      return [violation(issue.path, issue.params?.rule === "encoding" ? "encoding" : "format", issue.message)];
    default:
      return [violation(issue.path, "format", issue.message)];
  }
}

function bounded(violations: Violation[]): Violation[] {
  if (violations.length <= MAX_BODY_VIOLATIONS) return violations;
  const more = violations.length - (MAX_BODY_VIOLATIONS - 1);
  return [...violations.slice(0, MAX_BODY_VIOLATIONS - 1), violation([], "more-problems", `${more} more problems are not listed`)];
}

export function parseBody<T extends z.ZodMiniType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const violations = bounded(result.error.issues.flatMap(violationsOf));
  const fields = recordText([...new Set(violations.map((v) => v.field))].join(", "));
  throw new KubecaError("KUBECA_BAD_REQUEST", `the body does not match the schema at ${fields}`, { violations });
}
