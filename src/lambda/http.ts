// The Lambda HTTP entry point (bundled to dist/lambda/http.mjs): config → createApp (issuance
// service, authenticator, fastify app), once per cold start; each invocation's counters leave as one
// CloudWatch EMF line on stdout (docs/metrics.md).
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { EmfMetrics } from "../metrics/emf.js";
import { createApp } from "../server/index.js";
import { loadLambdaConfig } from "./config-source.js";
import { createHttpHandler } from "./http-handler.js";
// A deployed function signs with KMS and keeps its audit log, idempotency window and replay cache in
// DynamoDB (serverless.yml). `serve` loads those modules only when its config names them; here they are
// part of the cold start's static imports, loaded in one go with the rest (and counted in its size).
import "../signers/aws-kms.js";
import "../audit/dynamodb-store.js";
import "../auth/dynamodb-replay-cache.js";
import "../issuance/dynamodb-idempotency-store.js";
import "../issuance/dynamodb-rotation-store.js";

const bundleDir = dirname(fileURLToPath(import.meta.url));

const metrics = new EmfMetrics({ functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "kubeca", write: (line) => process.stdout.write(line) });

export const handler = createHttpHandler(
  async () => {
    const loaded = await loadLambdaConfig(process.env, { bundleDir });
    return createApp(loaded, { logger: { level: process.env.KUBECA_LOG_LEVEL ?? "info" }, authentication: { runtime: "lambda" }, metrics });
  },
  { onInvocationEnd: () => metrics.flush() },
);
