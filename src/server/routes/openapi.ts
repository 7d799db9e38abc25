// GET /openapi.yaml and GET /openapi.json: the API's own description, public like GET /v1/ca. Both come
// from openapi/openapi.yaml through the generated module, the same bytes on `serve` and Lambda.
import type { FastifyInstance } from "fastify";
import { parse } from "yaml";
import { OPENAPI_YAML } from "../openapi-document.js";

export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  let json: string | undefined; // parsed on first use: most processes never serve it
  app.get("/openapi.yaml", async (_request, reply) => reply.type("application/yaml; charset=utf-8").send(OPENAPI_YAML));
  app.get("/openapi.json", async (_request, reply) => {
    json ??= JSON.stringify(parse(OPENAPI_YAML));
    return reply.type("application/json; charset=utf-8").send(json);
  });
}
