// docs/configuration.md's generated parts: the reference of every field, walked from the config's JSON
// Schema (itself generated from the zod schema and its `.describe()` texts), and the example configs
// copied in from their files. `npm run docs:config` rewrites them; a test fails when they are stale.
// The walk knows JSON Schema's shapes, not kubeca's fields: a new field, or a new signer type in the
// SignerConfig union, appears in the reference without a change here.
import { configJsonSchema } from "./json-schema.js";

interface SchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  format?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  minItems?: number;
}

/** One row of the reference: a field a person can write. */
export interface FieldRow {
  /** Dotted path; `[]` for list items, `<key>` for map keys. */
  readonly path: string;
  /** The union variant the field belongs to, e.g. `type: aws-kms`; empty outside unions. */
  readonly when: string;
  readonly type: string;
  readonly required: boolean;
  readonly default: string;
  readonly description: string;
}

const variants = (node: SchemaNode) => node.anyOf ?? node.oneOf;

/** The property whose `const` tells an object variant apart (`type: aws-kms`, `store: dynamodb`). */
function discriminator(node: SchemaNode): string {
  for (const [key, prop] of Object.entries(node.properties ?? {})) {
    if (prop.const !== undefined && node.required?.includes(key)) return `${key}: ${String(prop.const)}`;
  }
  return `with ${Object.keys(node.properties ?? {}).join(", ")}`;
}

function typeOf(node: SchemaNode): string {
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(" | ");
  const union = variants(node);
  if (union) return union.map((v) => (v.properties ? `{${discriminator(v)}}` : typeOf(v))).join(" or ");
  if (node.type === "array") return `list of ${node.items ? typeOf(node.items) : "values"}${node.minItems ? ` (at least ${node.minItems})` : ""}`;
  if (node.type === "object") return node.properties ? "object" : "map";
  if (node.type === "string" && node.format === "uri") return "URL";
  return String(node.type ?? "any");
}

function defaultOf(node: SchemaNode): string {
  if (node.default === undefined) return "";
  if (typeof node.default === "object" && node.default !== null && !Array.isArray(node.default)) return "(defaults below)";
  return `\`${JSON.stringify(node.default)}\``;
}

/** A subtree's shape without its own description, to find siblings with the same fields. */
const shape = (node: SchemaNode) => JSON.stringify({ ...node, description: undefined });

function walk(node: SchemaNode, path: string, when: string, rows: FieldRow[]): void {
  const seen = new Map<string, string>();
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const childPath = path ? `${path}.${key}` : key;
    // Siblings with the same fields (cas.ca, cas.etcd-ca, …) are spelled out once.
    const same = child.properties || variants(child) ? seen.get(shape(child)) : undefined;
    rows.push({
      path: childPath,
      when,
      type: typeOf(child),
      required: node.required?.includes(key) ?? false,
      default: defaultOf(child),
      description: `${child.description ?? ""}${same ? ` Same fields as ${same}.` : ""}`,
    });
    if (same) continue;
    seen.set(shape(child), childPath);
    descend(child, childPath, when, rows);
  }
}

function descend(node: SchemaNode, path: string, when: string, rows: FieldRow[]): void {
  if (node.properties) walk(node, path, when, rows);
  if (node.items) descend(node.items, `${path}[]`, when, rows);
  if (typeof node.additionalProperties === "object") descend(node.additionalProperties, `${path}.<key>`, when, rows);
  for (const variant of variants(node) ?? []) {
    // Object variants contribute their fields, labelled; nested unions (a CA name or a signer) recurse.
    descend(variant, path, variant.properties && variants(node)!.length > 1 ? discriminator(variant) : when, rows);
  }
}

/** Every field of `schema` (default: the config's), depth first in the schema's order. */
export function configFieldRows(schema: object = configJsonSchema()): FieldRow[] {
  const rows: FieldRow[] = [];
  walk(schema as SchemaNode, "", "", rows);
  return rows;
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("\n", " ");

/** The reference: one table per top-level field, in the schema's order. */
export function configReference(schema: object = configJsonSchema()): string {
  const rows = configFieldRows(schema);
  const sections = [...new Set(rows.map((r) => r.path.split(/[.[]/)[0]!))];
  return sections
    .map((section) => {
      const own = rows.filter((r) => r.path === section || r.path.startsWith(`${section}.`) || r.path.startsWith(`${section}[`));
      const lines = [
        `### \`${section}\``,
        "",
        "| field | type | default | description |",
        "|---|---|---|---|",
        ...own.map((r) => {
          const field = `\`${cell(r.path)}\`${r.when ? ` (${cell(r.when)})` : ""}`;
          const fallback = r.required ? "**required**" : r.default || "optional";
          return `| ${field} | ${cell(r.type)} | ${fallback} | ${cell(r.description)} |`;
        }),
        "",
      ];
      return lines.join("\n");
    })
    .join("\n");
}

const REFERENCE = /(<!-- BEGIN reference: npm run docs:config -->\n)[\s\S]*?(<!-- END reference -->)/;
const FILE_BLOCK = /(<!-- BEGIN file: ([^ ]+) -->\n)[\s\S]*?(<!-- END file -->)/g;

/**
 * The page with its generated parts filled in: the reference between its markers, and each
 * `<!-- BEGIN file: PATH -->` block replaced by that file (read through `readFile`) in a yaml fence.
 */
export function renderConfigurationDoc(page: string, readFile: (path: string) => string): string {
  if (!REFERENCE.test(page)) throw new Error("docs/configuration.md has lost its reference markers");
  return page
    .replace(REFERENCE, (_m, begin: string, end: string) => `${begin}\n${configReference()}${end}`)
    .replace(FILE_BLOCK, (_m, begin: string, path: string, end: string) => `${begin}\`\`\`yaml\n${readFile(path)}\`\`\`\n${end}`);
}
