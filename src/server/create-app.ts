// The one composition of a running service from a loaded config, shared by `kubeca serve` and the
// Lambda handler: issuance service, authenticator (tokens, certificate proofs, IAM), audit reader, app,
// and the metrics each of them counts into.
import type { FastifyInstance } from "fastify";
import { startLiveInventory, type LiveInventory } from "../audit/index.js";
import type { AuditRecord } from "../audit/types.js";
import { createAuthenticator, type CreateAuthenticatorOptions } from "../auth/create-authenticator.js";
import { X509Certificate } from "node:crypto";
import type { CaName, LoadedConfig } from "../config/index.js";
import type { IssuingCa } from "../issuance/issuing-ca.js";
import type { RunningIssuanceService } from "../issuance/create-service.js";
import { createIssuanceService, type CreateServiceOptions } from "../issuance/create-service.js";
import { PROFILES } from "../kubeadm/index.js";
import type { IssuanceMetrics } from "../metrics/index.js";
import type { ServeMetrics } from "../metrics/prometheus.js";
import { buildServer, type ServerDeps } from "./build-server.js";
import { createRateLimiter } from "./rate-limiter.js";

export interface CreateAppOptions extends Pick<CreateServiceOptions, "dev"> {
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
}

/** Builds the app; closing it also closes the issuance service (audit store, signers). */
export async function createApp(loaded: LoadedConfig, options: CreateAppOptions = {}): Promise<FastifyInstance> {
  const { prometheus } = options;
  const metrics = prometheus ?? options.metrics;
  let fleet: (LiveInventory & { observe(record: AuditRecord): void }) | undefined;
  const service = await createIssuanceService(loaded, {
    dev: options.dev ?? false,
    ...(metrics ? { metrics } : {}),
    ...(prometheus ? { onAuditRecord: (record: AuditRecord) => fleet?.observe(record) } : {}),
  });
  let authenticator: ReturnType<typeof createAuthenticator>;
  try {
    // The CA certificates as the service holds them: a development CA exists only from this start.
    const caCertificates = new Map([...service.issuingCas].map(([name, ca]) => [name, ca.info.der] as const));
    authenticator = createAuthenticator(loaded.config, { ...options.authentication, caCertificates, trustedCas: trustedCasOf(service) });
  } catch (e) {
    await service.close();
    throw e;
  }
  if (prometheus) {
    prometheus.caCertificates([...service.issuingCas.values()].map((ca) => ({ name: ca.name, notAfter: ca.info.notAfter })));
    prometheus.files(PROFILES.filter((p) => service.issuingCas.has(p.issuer)).map((p) => ({ ca: p.issuer, file: p.name })));
    if (service.auditReader) {
      // Read once in the background; records stored meanwhile arrive through onAuditRecord.
      const warn = (message: string) => process.emitWarning(message, "KubecaMetricsWarning");
      const live = startLiveInventory(service.auditReader, { onWarning: warn, onChange: (row) => prometheus.nodeCertificate(row) });
      fleet = live;
      prometheus.nodeInventoryLoaded(() => live.loaded());
    }
  }
  const app = buildServer({
    service,
    authenticator,
    auditReader: service.auditReader,
    rateLimiter: createRateLimiter(loaded.config.rateLimits, undefined, metrics),
    ...(metrics ? { metrics } : {}),
    ...(prometheus ? { metricsEndpoint: prometheus } : {}),
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
