// Read, parse and validate the config once; every bad field is named by its path.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseDocument } from "yaml";
import type * as z from "zod/mini";
import { KubecaError } from "../errors/index.js";
import { ConfigSchema, type Config } from "./schema.js";

export interface LoadedConfig {
  readonly config: Config;
  /** Folder of the config file: relative paths in it resolve against this. */
  readonly baseDir: string;
}

/** One bad field: its dotted path (empty for the top level or a YAML syntax error) and what is wrong. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

export type ConfigValidation = { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** Every problem of a config text at once, as data (`kubeca policy check`); loadConfigFile throws instead. */
export function validateConfigText(text: string): ConfigValidation {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { ok: false, issues: doc.errors.map((e) => ({ path: "", message: e.message.split("\n")[0] ?? e.message })) };
  }
  const result = ConfigSchema.safeParse(doc.toJS());
  if (result.success) return { ok: true, config: deepFreeze(result.data) };
  return { ok: false, issues: result.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: issueMessage(i) })) };
}

/** zod's wording for a missing field ("expected string, received undefined") says less than "required". */
function issueMessage(i: z.core.$ZodIssue): string {
  if (i.code === "invalid_type" && /received undefined$/.test(i.message)) return `required (${i.expected})`;
  if (i.code === "unrecognized_keys") return `unknown field${i.keys.length === 1 ? "" : "s"} ${i.keys.map((k) => JSON.stringify(k)).join(", ")}; check the spelling against the JSON Schema`;
  return i.message;
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => `  ${i.path.length ? i.path.map(String).join(".") : "(top level)"}: ${issueMessage(i)}`)
    .join("\n");
}

/** Validate an already parsed object (YAML, JSON, SSM parameter). */
export function parseConfig(raw: unknown, source: string): Config {
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new KubecaError(
      "KUBECA_CONFIG_INVALID",
      `${source} is not a valid kubeca config:\n${formatIssues(result.error.issues)}`,
    );
  }
  return deepFreeze(result.data);
}

/** Parse YAML text; YAML syntax errors name line and column. */
export function parseConfigText(text: string, source: string): Config {
  const json = asPlainJson(text);
  if (json !== undefined) return parseConfig(json.value, source);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new KubecaError(
      "KUBECA_CONFIG_INVALID",
      `${source} is not valid YAML:\n${doc.errors.map((e) => "  " + e.message.split("\n")[0]).join("\n")}`,
    );
  }
  return parseConfig(doc.toJS(), source);
}

/**
 * A config written as JSON (YAML 1.2 is a superset of it, so it always was a valid config) read with
 * JSON.parse: the same values, without the YAML parser's 10–20 ms of CPU on a Lambda cold start
 * (measured on Node 22). Undefined, and the text goes to the YAML parser, when it is not JSON or when
 * the two would disagree: a key twice in one object (YAML refuses it with its line and column;
 * JSON.parse keeps the last). test/config/config-json.test.ts holds the two to the same answers.
 */
function asPlainJson(text: string): { value: unknown } | undefined {
  if (!text.trimStart().startsWith("{")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return hasDuplicateKey(text) ? undefined : { value };
}

/** Whether valid JSON text has an object with a key twice (compared decoded, as JSON.parse would). */
function hasDuplicateKey(json: string): boolean {
  const objects: (Set<string> | null)[] = []; // one entry per open object (its keys) or array (null)
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === "{") objects.push(new Set());
    else if (c === "[") objects.push(null);
    else if (c === "}" || c === "]") objects.pop();
    else if (c === '"') {
      const start = i;
      for (i++; json[i] !== '"'; i++) if (json[i] === "\\") i++;
      let next = i + 1;
      while (/\s/.test(json[next] ?? "")) next++;
      const keys = objects.at(-1);
      if (json[next] === ":" && keys) {
        const key = JSON.parse(json.slice(start, i + 1)) as string;
        if (keys.has(key)) return true;
        keys.add(key);
      }
    }
  }
  return false;
}

export async function loadConfigFile(path: string): Promise<LoadedConfig> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, "utf8");
  } catch (e) {
    throw new KubecaError("KUBECA_CONFIG_INVALID", `cannot read config ${abs}: ${(e as Error).message}`, { cause: e });
  }
  return { config: parseConfigText(text, abs), baseDir: dirname(abs) };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
