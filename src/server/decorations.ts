// The services buildServer decorates onto the root instance once; every route group reads them.
import type { Authenticator } from "../auth/authenticator.js";
import type { IssuanceService } from "../issuance/types.js";
import type { IssuanceMetrics } from "../metrics/index.js";

declare module "fastify" {
  interface FastifyInstance {
    readonly issuance: IssuanceService;
    readonly authenticator: Authenticator;
    readonly metrics: IssuanceMetrics;
  }
}
