// GET /healthz (the process answers) and GET /readyz (configuration, signers and stores work).
// /readyz answers the same report shape with 200 or 503, so probes read the status and people the checks.
import type { FastifyInstance } from "fastify";
import type { ReadinessCheck } from "../../issuance/types.js";
import { DEFAULT_RETRY_AFTER_SECONDS } from "../problem.js";

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (request, reply) => {
    let checks: readonly ReadinessCheck[];
    try {
      checks = await app.issuance.readiness();
    } catch (error) {
      request.log.error({ err: error }, "readiness checks failed to run");
      checks = [{ name: "readiness", ok: false, detail: "the readiness checks could not run; see the server log" }];
    }
    const ready = checks.every((c) => c.ok);
    if (!ready) reply.code(503).header("retry-after", String(DEFAULT_RETRY_AFTER_SECONDS));
    return { status: ready ? "ready" : "not-ready", checks };
  });
}
