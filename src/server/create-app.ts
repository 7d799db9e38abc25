// The one composition of a running service from a loaded config, shared by `kubeca serve` and the
// Lambda handler: issuance service, token authenticator (nodes and auditors), audit reader, app.
import type { FastifyInstance } from "fastify";
import { createTokenAuthenticator } from "../auth/bearer-token.js";
import type { LoadedConfig } from "../config/index.js";
import { createIssuanceService, type CreateServiceOptions } from "../issuance/create-service.js";
import { buildServer, type ServerDeps } from "./build-server.js";

export interface CreateAppOptions extends Pick<CreateServiceOptions, "dev"> {
  readonly logger?: ServerDeps["logger"];
  readonly https?: ServerDeps["https"];
}

/** Builds the app; closing it also closes the issuance service (audit store, signers). */
export async function createApp(loaded: LoadedConfig, options: CreateAppOptions = {}): Promise<FastifyInstance> {
  const service = await createIssuanceService(loaded, { dev: options.dev ?? false });
  const { callers, nodes } = loaded.config;
  const authenticator = createTokenAuthenticator(callers.tokens, nodes, { auditors: callers.auditors });
  const app = buildServer({
    service,
    authenticator,
    auditReader: service.auditReader,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.https ? { https: options.https } : {}),
  });
  app.addHook("onClose", () => service.close());
  return app;
}
