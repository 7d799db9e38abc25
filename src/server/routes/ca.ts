// GET /v1/ca: the CA certificates. Unauthenticated: CA certificates are public, and nodes fetch them
// to verify what they receive.
import type { FastifyInstance } from "fastify";

export async function caRoutes(app: FastifyInstance): Promise<void> {
  app.get("/ca", async () => ({ cas: await app.issuance.cas() }));
}
