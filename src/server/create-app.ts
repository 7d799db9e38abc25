// The one composition of a running service from a loaded config, shared by `kubeca serve` (one
// process, or each worker of a primary) and the Lambda handler: issuance service, authenticator
// (tokens, certificate proofs, IAM), audit reader, app, and the metrics each of them counts into.
import { X509Certificate } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { openAuditReader, startLiveInventory, type AuditLog, type LiveInventory } from "../audit/index.js";
import type { AuditRecord } from "../audit/types.js";
import type { Caller, RequestOrigin } from "../auth/caller.js";
import { createAuthenticator, type CreateAuthenticatorOptions } from "../auth/create-authenticator.js";
import type { ReplayCache } from "../auth/replay-cache.js";
import type { CaName, LoadedConfig } from "../config/index.js";
import type { RotationChange } from "../issuance/ca-rotation.js";
import { createIssuanceService, type CreateServiceOptions, type RunningIssuanceService } from "../issuance/create-service.js";
import type { Idempotency } from "../issuance/idempotency.js";
import type { IssuingCa } from "../issuance/issuing-ca.js";
import type { CaSummary, ReadinessCheck } from "../issuance/types.js";
import { PROFILES } from "../kubeadm/index.js";
import type { IssuanceMetrics, MetricsEndpoint } from "../metrics/index.js";
import type { ServeMetrics } from "../metrics/prometheus.js";
import { buildServer, type ServerDeps } from "./build-server.js";
import { createRateLimiter, type RateLimiter } from "./rate-limiter.js";

/**
 * What the primary process of `kubeca serve --workers N` owns for all its workers (src/server/cluster):
 * one audit chain, one idempotency window, one set of rate-limit buckets, one proof replay cache, the
 * rotation's phase changes, the readiness report and the metrics scrape summed over every process.
 */
export interface PrimaryServices {
  readonly audit: AuditLog;
  readonly idempotency: Idempotency;
  readonly rateLimiter: RateLimiter;
  /** For a memory replay cache; a dynamodb one is shared already and each worker opens its own client. */
  readonly replayCache: ReplayCache;
  readiness(): Promise<readonly ReadinessCheck[]>;
  changeRotation(caller: Caller, origin: RequestOrigin, change: RotationChange): Promise<CaSummary>;
  /** The exposition text of the primary's and every worker's registry, combined. */
  metrics(): Promise<string>;
}

export interface CreateAppOptions extends Pick<CreateServiceOptions, "dev" | "development"> {
  readonly logger?: ServerDeps["logger"];
  readonly https?: ServerDeps["https"];
  /** Take the client address from X-Forwarded-For (only behind a proxy you run). */
  readonly trustProxy?: ServerDeps["trustProxy"];
  /** Where it runs (lambda: proofs need the shared replay cache), the clock, a shared replay cache. */
  readonly authentication?: Omit<CreateAuthenticatorOptions, "caCertificates">;
  /**
   * Prometheus (`kubeca serve`): counted into, served as GET /metrics, with the CA expiry gauges and
   * the fleet's node certificate expiry kept from this service's audit log.
   */
  readonly prometheus?: ServeMetrics;
  /** Counters only, no route (Lambda's EMF). Ignored when `prometheus` is given. */
  readonly metrics?: IssuanceMetrics;
  /** Set in a `kubeca serve` worker: these are the primary's, reached over IPC. */
  readonly primary?: PrimaryServices;
}

/** Builds the app; closing it also closes the issuance service (audit store, signers). */
export async function createApp(loaded: LoadedConfig, options: CreateAppOptions = {}): Promise<FastifyInstance> {
  const { prometheus, primary } = options;
  const metrics = prometheus ?? options.metrics;
  let fleet: ServiceWatch | undefined;
  const opened = await createIssuanceService(loaded, {
    dev: options.dev ?? false,
    ...(options.development ? { development: options.development } : {}),
    ...(metrics ? { metrics } : {}),
    // A worker's records reach the fleet view in the primary, which stores every record.
    ...(prometheus && !primary ? { onAuditRecord: (record: AuditRecord) => fleet?.observe(record) } : {}),
    ...(primary
      ? {
          primary: {
            audit: primary.audit,
            idempotency: primary.idempotency,
            // The log the primary writes, read-only here: complete lines, or DynamoDB items.
            reader: await openAuditReader(loaded.config.audit, loaded.baseDir),
            changeRotation: (caller, origin, change) => primary.changeRotation(caller, origin, change),
          },
        }
      : {}),
  });
  const service: RunningIssuanceService = primary ? { ...opened, readiness: () => workerReadiness(primary, opened) } : opened;
  let authenticator: Awaited<ReturnType<typeof createAuthenticator>>;
  try {
    // The CA certificates as the service holds them: a development CA exists only from this start.
    const caCertificates = new Map([...service.issuingCas].map(([name, ca]) => [name, ca.info.der] as const));
    const sharedReplay = primary && loaded.config.callers.proof.replayCache.store === "memory" ? { replayCache: primary.replayCache } : {};
    authenticator = await createAuthenticator(loaded.config, { ...options.authentication, ...sharedReplay, caCertificates, trustedCas: trustedCasOf(service) });
  } catch (e) {
    await service.close();
    throw e;
  }
  if (prometheus) fleet = watchService(prometheus, service, { fleet: !primary });
  const endpoint: MetricsEndpoint | undefined = prometheus && (primary ? { contentType: prometheus.contentType, text: () => primary.metrics() } : prometheus);
  const app = buildServer({
    service,
    authenticator,
    auditReader: service.auditReader,
    rateLimiter: primary?.rateLimiter ?? createRateLimiter(loaded.config.rateLimits, undefined, metrics),
    ...(metrics ? { metrics } : {}),
    ...(endpoint ? { metricsEndpoint: endpoint } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.https ? { https: options.https } : {}),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
  });
  app.addHook("onClose", async () => {
    fleet?.close();
    await authenticator.close();
    await service.close();
  });
  return app;
}

type ServiceWatch = LiveInventory & { observe(record: AuditRecord): void };

/**
 * What Prometheus reads of a running service: its CAs' expiry, every file's counters at 0, and (where
 * this process sees every record: one process, or a serve primary) the fleet's node certificate
 * expiry, read from the audit log once and then kept from each record stored.
 */
export function watchService(prometheus: ServeMetrics, service: RunningIssuanceService, options: { readonly fleet: boolean }): ServiceWatch | undefined {
  prometheus.caCertificates([...service.issuingCas.values()].map((ca) => ({ name: ca.name, notAfter: ca.info.notAfter })));
  prometheus.files(PROFILES.filter((p) => service.issuingCas.has(p.issuer)).map((p) => ({ ca: p.issuer, file: p.name })));
  if (!options.fleet || !service.auditReader) return undefined;
  // Read once in the background; records stored meanwhile arrive through onAuditRecord.
  const warn = (message: string) => process.emitWarning(message, "KubecaMetricsWarning");
  const live = startLiveInventory(service.auditReader, {
    onWarning: warn,
    onChange: (row) => prometheus.nodeCertificate(row),
    onRemove: (row) => prometheus.nodeCertificateRemoved(row),
  });
  prometheus.nodeInventoryLoaded(() => live.loaded());
  return live;
}

/**
 * A worker's /readyz: the primary's checks (every signer, the audit store, the workers), where this
 * worker's own signer check says not ready in its place: a failed signature here is seen at once,
 * before the primary's next key check.
 */
async function workerReadiness(primary: PrimaryServices, own: RunningIssuanceService): Promise<readonly ReadinessCheck[]> {
  const [theirs, mine] = await Promise.all([primary.readiness(), own.readiness()]);
  const failing = new Map(mine.filter((c) => !c.ok && c.name.startsWith("signer:")).map((c) => [c.name, c]));
  return theirs.map((c) => failing.get(c.name) ?? c);
}

/** The CAs a node's certificate may come from in the current rotation phase (parsed once per CA). */
export function trustedCasOf(service: RunningIssuanceService): () => Promise<{ name: CaName; certificate: X509Certificate }[]> {
  const parsed = new WeakMap<IssuingCa, X509Certificate>();
  const certificateOf = (ca: IssuingCa) => {
    let cert = parsed.get(ca);
    if (!cert) parsed.set(ca, (cert = new X509Certificate(ca.info.der)));
    return cert;
  };
  return async () => (await service.rotations.views()).flatMap((v) => v.trusted.map((ca) => ({ name: v.name, certificate: certificateOf(ca) })));
}
