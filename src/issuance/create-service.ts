// Composition root for issuance: config → CAs (signers checked against their certificates) →
// compiled policy → audit log → the IssuanceService the transports call.
import { randomUUID } from "node:crypto";
import { createAuditLog, type AuditReader } from "../audit/index.js";
import type { AuditLog, AuditRecord, AuditRequest } from "../audit/types.js";
import type { RequestOrigin } from "../auth/caller.js";
import { CaName, type Config, type LoadedConfig } from "../config/index.js";
import { isKubecaError } from "../errors/index.js";
import { NO_METRICS, type IssuanceMetrics } from "../metrics/index.js";
import { randomSerial } from "../pki/index.js";
import { compilePolicy, durationSeconds } from "../policy/index.js";
import { isClosable } from "../signers/index.js";
import { openIdempotencyStore } from "./create-idempotency-store.js";
import { createIdempotency } from "./idempotency.js";
import type { IdempotencyStore } from "./idempotency-store.js";
import { openCheckpointSigner } from "./checkpoint-signer.js";
import { openIssuingCa, type IssuingCa } from "./issuing-ca.js";
import { observedAuditLog } from "./observed-audit-log.js";
import { auditSignerWarnings } from "./signer-warnings.js";
import { SignerHealth } from "./signer-health.js";
import { recordSignerMismatch } from "./signer-mismatch.js";
import { actorOf, runPipeline, type PipelineDeps } from "./pipeline.js";
import type { IssuanceService, ReadinessCheck } from "./types.js";

export interface CreateServiceOptions {
  /** Development mode: memory signers allowed; their CA certificates are minted at start. */
  readonly dev?: boolean;
  readonly now?: () => Date;
  readonly serial?: () => Uint8Array;
  /** Replace the configured audit store (tests inject failing stores). */
  readonly audit?: AuditLog;
  /** Replace the configured idempotency store (tests inject failing or shared stores). */
  readonly idempotencyStore?: IdempotencyStore;
  /** Failures that refuse nothing (an idempotency store that cannot be read or written). */
  readonly onWarning?: (message: string, cause?: unknown) => void;
  /** How often each KMS key's state is asked for (default KEY_CHECK_INTERVAL_MS); tests shorten it. */
  readonly keyCheckIntervalMs?: number;
  /** Where the pipeline, the signers and the audit appends are counted (default: nowhere). */
  readonly metrics?: IssuanceMetrics;
  /** Hears every record this service stored, after the append resolved (the fleet inventory). */
  readonly onAuditRecord?: (record: AuditRecord) => void;
}

export interface RunningIssuanceService extends IssuanceService {
  readonly config: Config;
  readonly issuingCas: ReadonlyMap<CaName, IssuingCa>;
  /** The log's reader for GET /v1/audit; undefined when a test injected a write-only log. */
  readonly auditReader: AuditReader | undefined;
  close(): Promise<void>;
}

export async function createIssuanceService(loaded: LoadedConfig, options: CreateServiceOptions = {}): Promise<RunningIssuanceService> {
  const { config, baseDir } = loaded;
  const now = options.now ?? (() => new Date());
  const dev = options.dev ?? false;

  const metrics = options.metrics ?? NO_METRICS;

  const cas = new Map<CaName, IssuingCa>();
  try {
    for (const name of CaName.options) {
      const cfg = config.cas[name];
      if (cfg) cas.set(name, await openIssuingCa(name, cfg, baseDir, { dev, now, ...(options.metrics ? { metrics } : {}) }));
    }
  } catch (e) {
    if (isKubecaError(e) && e.code === "KUBECA_SIGNER_KEY_MISMATCH") {
      const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, "KubecaAuditWarning"));
      await recordSignerMismatch(e, { config, baseDir, component: "kubeca serve", ...(options.audit ? { audit: options.audit } : {}) }, warn);
    }
    throw e;
  }
  const policy = compilePolicy(config);
  const owned = options.audit === undefined;
  const store = options.audit ?? createAuditLog(config.audit, baseDir, { checkpointSigner: await openCheckpointSigner(config, (name) => cas.get(name)?.signer, dev) });
  // Every append of this service goes through here; the store itself only for reading and lifecycle.
  const audit = observedAuditLog(store, metrics, options.onAuditRecord);
  await auditSignerWarnings(audit, cas.values());

  const windowSeconds = durationSeconds(config.idempotency.window, "idempotency.window");
  const opened = options.idempotencyStore ? undefined : openIdempotencyStore(config.idempotency);
  const idempotency = createIdempotency({
    store: options.idempotencyStore ?? opened!.store,
    windowSeconds,
    now,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });

  const health = new SignerHealth(cas.values(), options.keyCheckIntervalMs === undefined ? {} : { intervalMs: options.keyCheckIntervalMs });
  health.start();
  const deps: PipelineDeps = {
    policy,
    cas,
    audit,
    now,
    serial: options.serial ?? randomSerial,
    idempotency,
    metrics,
    onSigningFailure: (ca, error) => health.signingFailed(ca, error),
  };

  return {
    config,
    issuingCas: cas,
    auditReader: isReader(store) ? store : undefined,
    sign: (caller, origin, item) => runPipeline(deps, caller, origin, item),
    cas: () => [...cas.values()].map((ca) => ({ name: ca.name, certificate: ca.info.pem })),
    async recordAuthenticationFailure(origin: RequestOrigin, reason: string): Promise<void> {
      await audit.append({
        event: "authentication-failed",
        requestId: origin.requestId,
        actor: actorOf(undefined, origin),
        message: reason,
      });
    },
    async recordRefusal(caller, origin, refusal): Promise<void> {
      await audit.append({
        event: "refused",
        requestId: origin.requestId,
        actor: actorOf(caller, origin),
        ...(refusal.file === undefined ? {} : { request: fileOnly(refusal.file) }),
        violations: refusal.error.violations,
      });
    },
    async readiness(): Promise<readonly ReadinessCheck[]> {
      const checks: ReadinessCheck[] = [{ name: "config", ok: true, detail: `${config.nodes.length} node(s), ${cas.size} CA(s)` }];
      checks.push(...(await health.checks()));
      checks.push(await auditCheck(store));
      return checks;
    },
    async close(): Promise<void> {
      health.stop();
      opened?.close();
      if (owned && hasClose(store)) await store.close();
      // After the audit log: its checkpoint signer may be one of these.
      for (const ca of cas.values()) if (isClosable(ca.signer)) ca.signer.close();
    },
  };
}

/** The request part of a record when all that is known is the file name asked for. */
function fileOnly(file: string): AuditRequest {
  return { file, profile: undefined, csrSha256: undefined, publicKeySha256: undefined, keyAlgorithm: undefined, subject: undefined, dnsNames: [], ipAddresses: [] };
}

async function auditCheck(audit: AuditLog): Promise<ReadinessCheck> {
  if (hasReady(audit)) {
    try {
      await audit.ready();
      return { name: "audit", ok: true, detail: "store reachable" };
    } catch (e) {
      return { name: "audit", ok: false, detail: isKubecaError(e) ? e.detail : "audit store unreachable" };
    }
  }
  return { name: "audit", ok: true, detail: "store open" };
}

function isReader(x: object): x is AuditReader {
  return typeof (x as Partial<AuditReader>).read === "function" && typeof (x as Partial<AuditReader>).chain === "function";
}

function hasClose(x: object): x is { close(): Promise<void> } {
  return typeof (x as { close?: unknown }).close === "function";
}
function hasReady(x: object): x is { ready(): Promise<void> } {
  return typeof (x as { ready?: unknown }).ready === "function";
}

/** A request id for callers that have none (CLI, scheduled sweeps). */
export function newRequestId(): string {
  return randomUUID();
}
