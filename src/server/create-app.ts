// The one composition of a running service from a loaded config, shared by `kubeca serve` and the
// Lambda handler: issuance service, authenticator (tokens, certificate proofs, IAM), audit reader, app.
import type { FastifyInstance } from "fastify";
import { openAuditReader, type AuditLog } from "../audit/index.js";
import { createAuthenticator, type CreateAuthenticatorOptions } from "../auth/create-authenticator.js";
import type { ReplayCache } from "../auth/replay-cache.js";
import type { LoadedConfig } from "../config/index.js";
import { createIssuanceService, type CreateServiceOptions } from "../issuance/create-service.js";
import type { Idempotency } from "../issuance/idempotency.js";
import type { ReadinessCheck } from "../issuance/types.js";
import { buildServer, type ServerDeps } from "./build-server.js";
import { createRateLimiter, type RateLimiter } from "./rate-limiter.js";

/**
 * What the primary process of `kubeca serve --workers N` owns for all its workers (src/server/cluster):
 * one audit chain, one idempotency window, one set of rate-limit buckets, one proof replay cache, and
 * the readiness report.
 */
export interface PrimaryServices {
  readonly audit: AuditLog;
  readonly idempotency: Idempotency;
  readonly rateLimiter: RateLimiter;
  /** For a memory replay cache; a dynamodb one is shared already and each worker opens its own client. */
  readonly replayCache: ReplayCache;
  readiness(): Promise<readonly ReadinessCheck[]>;
}

export interface CreateAppOptions extends Pick<CreateServiceOptions, "dev" | "development"> {
  readonly logger?: ServerDeps["logger"];
  readonly https?: ServerDeps["https"];
  /** Take the client address from X-Forwarded-For (only behind a proxy you run). */
  readonly trustProxy?: ServerDeps["trustProxy"];
  /** Where it runs (lambda: proofs need the shared replay cache), the clock, a shared replay cache. */
  readonly authentication?: Omit<CreateAuthenticatorOptions, "caCertificates">;
  /** Set in a `kubeca serve` worker: these are the primary's, reached over IPC. */
  readonly primary?: PrimaryServices;
}

/** Builds the app; closing it also closes the issuance service (audit store, signers). */
export async function createApp(loaded: LoadedConfig, options: CreateAppOptions = {}): Promise<FastifyInstance> {
  const { primary } = options;
  const opened = await createIssuanceService(loaded, {
    dev: options.dev ?? false,
    ...(options.development ? { development: options.development } : {}),
    ...(primary ? { primary } : {}),
  });
  const service = primary ? { ...opened, readiness: () => primary.readiness() } : opened;
  let authenticator: ReturnType<typeof createAuthenticator>;
  try {
    // The CA certificates as the service holds them: a development CA exists only from this start.
    const caCertificates = new Map([...service.issuingCas].map(([name, ca]) => [name, ca.info.der] as const));
    const sharedReplay = primary && loaded.config.callers.proof.replayCache.store === "memory" ? { replayCache: primary.replayCache } : {};
    authenticator = createAuthenticator(loaded.config, { ...options.authentication, ...sharedReplay, caCertificates });
  } catch (e) {
    await service.close();
    throw e;
  }
  const app = buildServer({
    service,
    authenticator,
    // A worker reads the log its primary writes (read-only: complete lines, or DynamoDB items).
    auditReader: primary ? openAuditReader(loaded.config.audit, loaded.baseDir) : service.auditReader,
    rateLimiter: primary?.rateLimiter ?? createRateLimiter(loaded.config.rateLimits),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.https ? { https: options.https } : {}),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
  });
  app.addHook("onClose", async () => {
    await authenticator.close();
    await service.close();
  });
  return app;
}
