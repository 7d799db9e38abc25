// Composition root for issuance: config → CAs (signers checked against their certificates) →
// compiled policy → audit log → the IssuanceService the transports call.
import { randomUUID } from "node:crypto";
import { createAuditLog, type AuditReader } from "../audit/index.js";
import type { AuditLog } from "../audit/types.js";
import type { RequestOrigin } from "../auth/caller.js";
import { CaName, type Config, type LoadedConfig } from "../config/index.js";
import { isKubecaError } from "../errors/index.js";
import { randomSerial } from "../pki/index.js";
import { compilePolicy, durationSeconds } from "../policy/index.js";
import { assertSignerMatchesCertificate, isClosable } from "../signers/index.js";
import { openIdempotencyStore } from "./create-idempotency-store.js";
import { createIdempotency, type Idempotency } from "./idempotency.js";
import type { IdempotencyStore } from "./idempotency-store.js";
import { openCheckpointSigner } from "./checkpoint-signer.js";
import { openIssuingCa, type DevelopmentCa, type IssuingCa } from "./issuing-ca.js";
import { auditSignerWarnings } from "./signer-warnings.js";
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
  /** Development CAs' keys (and certificates) made by another process: `kubeca serve --workers N`. */
  readonly development?: ReadonlyMap<CaName, DevelopmentCa>;
  /**
   * Set in a `kubeca serve` worker: the primary process owns the one audit chain and the one
   * idempotency window, and has written the start-up records; this service only parses, checks and signs.
   */
  readonly primary?: { readonly audit: AuditLog; readonly idempotency: Idempotency };
}

export interface RunningIssuanceService extends IssuanceService {
  readonly config: Config;
  readonly issuingCas: ReadonlyMap<CaName, IssuingCa>;
  /** The log's reader for GET /v1/audit; undefined when a test injected a write-only log. */
  readonly auditReader: AuditReader | undefined;
  /** The log and the idempotency window themselves: a serve primary answers its workers from them. */
  readonly audit: AuditLog;
  readonly idempotency: Idempotency;
  close(): Promise<void>;
}

export async function createIssuanceService(loaded: LoadedConfig, options: CreateServiceOptions = {}): Promise<RunningIssuanceService> {
  const { config, baseDir } = loaded;
  const now = options.now ?? (() => new Date());
  const dev = options.dev ?? false;

  // Every CA's key is read and checked against its certificate at once (a KMS GetPublicKey each: a
  // cold start waited for three in a row), and all before anything can be signed.
  const configured = CaName.options.flatMap((name) => (config.cas[name] ? [[name, config.cas[name]] as const] : []));
  const opening = await Promise.allSettled(
    configured.map(([name, cfg]) => {
      const development = options.development?.get(name);
      return openIssuingCa(name, cfg, baseDir, { dev, now, ...(development ? { development } : {}) });
    }),
  );
  const failed = opening.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    for (const r of opening) if (r.status === "fulfilled" && isClosable(r.value.signer)) r.value.signer.close();
    throw failed.reason;
  }
  const cas = new Map<CaName, IssuingCa>(opening.map((r) => [(r as PromiseFulfilledResult<IssuingCa>).value.name, (r as PromiseFulfilledResult<IssuingCa>).value]));
  const policy = compilePolicy(config);
  const primary = options.primary;
  const owned = options.audit === undefined && primary === undefined;
  const audit =
    primary?.audit ??
    options.audit ??
    createAuditLog(config.audit, baseDir, { checkpointSigner: await openCheckpointSigner(config, (name) => cas.get(name)?.signer, dev) });
  if (!primary) await auditSignerWarnings(audit, cas.values());

  const windowSeconds = durationSeconds(config.idempotency.window, "idempotency.window");
  const opened = options.idempotencyStore || primary ? undefined : openIdempotencyStore(config.idempotency);
  const idempotency =
    primary?.idempotency ??
    createIdempotency({
      store: options.idempotencyStore ?? opened!.store,
      windowSeconds,
      now,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });

  const deps: PipelineDeps = { policy, cas, audit, now, serial: options.serial ?? randomSerial, idempotency };

  return {
    config,
    issuingCas: cas,
    auditReader: isReader(audit) ? audit : undefined,
    audit,
    idempotency,
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
    async readiness(): Promise<readonly ReadinessCheck[]> {
      const checks: ReadinessCheck[] = [{ name: "config", ok: true, detail: `${config.nodes.length} node(s), ${cas.size} CA(s)` }];
      for (const ca of cas.values()) checks.push(signerCheck(ca));
      checks.push(await auditCheck(audit));
      return checks;
    },
    async close(): Promise<void> {
      opened?.close();
      if (owned && hasClose(audit)) await audit.close();
      // After the audit log: its checkpoint signer may be one of these.
      for (const ca of cas.values()) if (isClosable(ca.signer)) ca.signer.close();
    },
  };
}

function signerCheck(ca: IssuingCa): ReadinessCheck {
  try {
    // Same comparison as at start; a signer whose key changed under us must stop being ready.
    assertSignerMatchesCertificate(ca.name, ca.signer, ca.info.spkiDer);
    return { name: `signer:${ca.name}`, ok: true, detail: "public key matches the CA certificate" };
  } catch (e) {
    return { name: `signer:${ca.name}`, ok: false, detail: isKubecaError(e) ? e.detail : "signer check failed" };
  }
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
