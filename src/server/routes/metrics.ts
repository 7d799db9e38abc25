// GET /metrics: the Prometheus exposition of this process's registry. Unauthenticated and on the
// same listener as the API, like /healthz: protect it the way docs/metrics.md says (loopback or a
// private address, a network policy, or a proxy that asks for credentials). Registered only when a
// registry is given: `kubeca serve` has one, the Lambda function does not (it writes EMF instead).
import type { FastifyInstance } from "fastify";
import type { MetricsEndpoint } from "../../metrics/index.js";

export interface MetricsRoutesOptions {
  readonly endpoint: MetricsEndpoint;
}

export async function metricsRoutes(app: FastifyInstance, options: MetricsRoutesOptions): Promise<void> {
  app.get("/metrics", async (_request, reply) => {
    const text = await options.endpoint.text();
    return reply.type(options.endpoint.contentType).send(text);
  });
}
