// GET /openapi.yaml and GET /openapi.json: the API's own description, public like GET /v1/ca. Both come
// from openapi/openapi.yaml through the generated module, the same bytes on `serve` and Lambda.
// The document (~32 KiB) and the YAML parser are loaded on first use: most processes never serve it,
// and a Lambda cold start does not load them.
import type { FastifyInstance } from "fastify";

const openApi = () => import("../openapi-json.js");

export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  let json: string | undefined;
  app.get("/openapi.yaml", async (_request, reply) => reply.type("application/yaml; charset=utf-8").send((await openApi()).OPENAPI_YAML));
  app.get("/openapi.json", async (_request, reply) => {
    json ??= (await openApi()).openApiJson();
    return reply.type("application/json; charset=utf-8").send(json);
  });
}
