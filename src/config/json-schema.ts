// The config's JSON Schema, generated from the zod schema so editors (yaml-language-server, VS Code)
// validate and complete kubeca.yaml. Published at schema/kubeca-config.schema.json by `npm run schema`;
// a test fails when the file is stale. Checks zod cannot express as JSON Schema (IP syntax, cross-field
// rules such as "a control-plane node needs advertiseAddress") stay with `kubeca policy check`.
import * as z from "zod/mini";
import { ConfigSchema } from "./schema.js";

export const CONFIG_SCHEMA_PATH = "schema/kubeca-config.schema.json";
export const CONFIG_SCHEMA_ID = "https://kubeca.dev/schema/kubeca-config.schema.json";

export function configJsonSchema(): Record<string, unknown> {
  // `input`: what a person writes, so fields with defaults are optional. Draft 7: what editors support best.
  const generated = z.toJSONSchema(ConfigSchema, { io: "input", target: "draft-07", unrepresentable: "any" }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: CONFIG_SCHEMA_ID,
    title: "kubeca config",
    description: "The kubeca configuration file (apiVersion kubeca.dev/v1alpha1, kind Config). Generated from src/config/schema.ts by npm run schema; do not edit.",
    ...rest,
  };
}

/** The file's exact text: two-space JSON and a final newline. */
export function configJsonSchemaText(): string {
  return JSON.stringify(configJsonSchema(), null, 2) + "\n";
}
