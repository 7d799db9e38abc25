// GET /openapi.json's body: the OpenAPI document parsed from its YAML text. A module of its own so the
// route loads it, the document and the YAML parser with one dynamic import, on first use.
import { parse } from "yaml";
import { OPENAPI_YAML } from "./openapi-document.js";

export { OPENAPI_YAML };

export function openApiJson(): string {
  return JSON.stringify(parse(OPENAPI_YAML));
}
