// Validate a body with a zod schema; a refusal names every bad path as a violation.
import type { z } from "zod";
import { KubecaError, type Violation } from "../errors/index.js";

/**
 * The `rule` of a request-shape violation. Closed set:
 * - `required`: the field (or the whole body) is missing
 * - `type`: the value has the wrong JSON type
 * - `unknown-field`: the field is not in the schema
 * - `too-short` / `too-long`: a string's length is out of bounds
 * - `too-few` / `too-many`: an array's item count is out of bounds
 * - `format`: any other schema rule
 */
export type BodyRule = "required" | "type" | "unknown-field" | "too-short" | "too-long" | "too-few" | "too-many" | "format";

function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(body)" : path.map(String).join(".");
}

function violation(path: readonly PropertyKey[], rule: BodyRule, message: string): Violation {
  return { field: fieldOf(path), rule, message };
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
    default:
      return [violation(issue.path, "format", issue.message)];
  }
}

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const violations = result.error.issues.flatMap(violationsOf);
  const fields = [...new Set(violations.map((v) => v.field))].join(", ");
  throw new KubecaError("KUBECA_BAD_REQUEST", `the body does not match the schema at ${fields}`, { violations });
}
