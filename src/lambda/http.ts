// The Lambda HTTP entry point (bundled to dist/lambda/http.mjs): config → issuance service →
// token authenticator → fastify app, once per cold start.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createTokenAuthenticator } from "../auth/bearer-token.js";
import { createIssuanceService } from "../issuance/create-service.js";
import { buildServer } from "../server/index.js";
import { loadLambdaConfig } from "./config-source.js";
import { createHttpHandler } from "./http-handler.js";

const bundleDir = dirname(fileURLToPath(import.meta.url));

export const handler = createHttpHandler(async () => {
  const loaded = await loadLambdaConfig(process.env, { bundleDir });
  const service = await createIssuanceService(loaded);
  const authenticator = createTokenAuthenticator(loaded.config.callers.tokens, loaded.config.nodes);
  return buildServer({ service, authenticator, logger: { level: process.env.KUBECA_LOG_LEVEL ?? "info" } });
});
