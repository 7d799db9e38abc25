// Composition root for issuance: config → CAs (signers checked against their certificates) →
// compiled policy → audit log → the IssuanceService the transports call.
import { randomUUID } from "node:crypto";
import { createAuditLog, readInventory, type AuditReader } from "../audit/index.js";
import type { AuditLog, AuditRecord, AuditRequest, AuditTrustReportCa } from "../audit/types.js";
import type { Caller, RequestOrigin } from "../auth/caller.js";
import { CaName, rotationTarget, type CaConfig, type Config, type LoadedConfig } from "../config/index.js";
import { isKubecaError, KubecaError, type Violation } from "../errors/index.js";
import { NO_METRICS, type IssuanceMetrics } from "../metrics/index.js";
import { randomSerial } from "../pki/index.js";
import { compilePolicy, durationSeconds } from "../policy/index.js";
import { isClosable } from "../signers/index.js";
import { openIdempotencyStore } from "./create-idempotency-store.js";
import { createIdempotency, type Idempotency } from "./idempotency.js";
import type { IdempotencyStore } from "./idempotency-store.js";
import { openCheckpointSigner } from "./checkpoint-signer.js";
import { CaRotations, type CaPair, type RotationChange, type RotationView } from "./ca-rotation.js";
import { openIssuingCa, type DevelopmentCa, type IssuingCa } from "./issuing-ca.js";
import { observedAuditLog } from "./observed-audit-log.js";
import { openRotationStore, type RotationStore } from "./rotation-store.js";
import { latestTrustReports, nodeProgress, readinessViolations, type NodeProgress } from "./rotation-status.js";
import { auditSignerWarnings } from "./signer-warnings.js";
import { SignerHealth } from "./signer-health.js";
import { recordSignerMismatch } from "./signer-mismatch.js";
import { actorOf, runPipeline, type PipelineDeps } from "./pipeline.js";
import type { CaSummary, IssuanceService, NodeRetirement, ReadinessCheck, RotationStatus } from "./types.js";

export interface CreateServiceOptions {
  /** Development mode: memory signers allowed; their CA certificates are minted at start. */
  readonly dev?: boolean;
  readonly now?: () => Date;
  readonly serial?: () => Uint8Array;
  /** Replace the configured audit store (tests inject failing stores). */
  readonly audit?: AuditLog;
  /** Replace the configured idempotency store (tests inject failing or shared stores). */
  readonly idempotencyStore?: IdempotencyStore;
  /** Replace the rotation state store (tests share one between instances). */
  readonly rotationStore?: RotationStore;
  /** Failures that refuse nothing (an idempotency store that cannot be read or written). */
  readonly onWarning?: (message: string, cause?: unknown) => void;
  /**
   * Development CAs' keys (and certificates) made by another process, by where they sit in the config
   * (`cas.ca`, `cas.ca.next`): `kubeca serve --workers N`.
   */
  readonly development?: ReadonlyMap<string, DevelopmentCa>;
  /**
   * Set in a `kubeca serve` worker: the primary process owns the one audit chain, the one idempotency
   * window and the rotation's phase changes, and has written the start-up records; this service only
   * parses, checks and signs (and reads the log the primary writes).
   */
  readonly primary?: PrimaryOwned;
  /** How often each KMS key's state is asked for (default KEY_CHECK_INTERVAL_MS); tests shorten it. */
  readonly keyCheckIntervalMs?: number;
  /** Where the pipeline, the signers and the audit appends are counted (default: nowhere). */
  readonly metrics?: IssuanceMetrics;
  /** Hears every record this service stored, after the append resolved (the fleet inventory). */
  readonly onAuditRecord?: (record: AuditRecord) => void;
}

/** What a serve worker's service takes from its primary (src/server/cluster). */
export interface PrimaryOwned {
  readonly audit: AuditLog;
  readonly idempotency: Idempotency;
  /** The log the primary writes, opened read-only here (GET /v1/audit, rotation status, the fleet view). */
  readonly reader: AuditReader;
  /** Phase changes are decided and written in one process: the file store's compare-and-set holds only within one. */
  changeRotation(caller: Caller, origin: RequestOrigin, change: RotationChange): Promise<CaSummary>;
}

export interface RunningIssuanceService extends IssuanceService {
  readonly config: Config;
  readonly issuingCas: ReadonlyMap<CaName, IssuingCa>;
  /** Current and next CA of each configured CA, with the rotation phase. */
  readonly rotations: CaRotations;
  /** The audit log the service writes (rotation changes and node reports go here too). */
  readonly audit: AuditLog;
  /** The log's reader for GET /v1/audit; undefined when a test injected a write-only log. */
  readonly auditReader: AuditReader | undefined;
  /** The idempotency window itself: a serve primary answers its workers from it. */
  readonly idempotency: Idempotency;
  close(): Promise<void>;
}

export async function createIssuanceService(loaded: LoadedConfig, options: CreateServiceOptions = {}): Promise<RunningIssuanceService> {
  const { config, baseDir } = loaded;
  const now = options.now ?? (() => new Date());
  const dev = options.dev ?? false;

  const metrics = options.metrics ?? NO_METRICS;
  const primary = options.primary;
  const openOptions = { dev, now, ...(options.metrics ? { metrics } : {}) };
  const open = (name: CaName, cfg: Pick<CaConfig, "certificate" | "signer">, at: string): Promise<IssuingCa> => {
    const development = options.development?.get(at);
    return openIssuingCa(name, cfg, baseDir, { ...openOptions, ...(development ? { development } : {}) }, at);
  };

  // Every CA's key, current and next, is read and checked against its certificate at once (a KMS
  // GetPublicKey each: a cold start waited for three in a row), and all before anything can be signed.
  const opening = CaName.options.flatMap((name) => {
    const cfg = config.cas[name];
    return cfg ? [{ name, current: open(name, cfg, `cas.${name}`), next: cfg.next ? open(name, cfg.next, `cas.${name}.next`) : undefined }] : [];
  });
  const settled = await Promise.allSettled(opening.flatMap((o) => (o.next ? [o.current, o.next] : [o.current])));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    for (const r of settled) if (r.status === "fulfilled" && isClosable(r.value.signer)) r.value.signer.close();
    const e: unknown = failed.reason;
    if (isKubecaError(e) && e.code === "KUBECA_SIGNER_KEY_MISMATCH") {
      const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, "KubecaAuditWarning"));
      const given = primary?.audit ?? options.audit;
      await recordSignerMismatch(e, { config, baseDir, component: "kubeca serve", ...(given ? { audit: given } : {}) }, warn);
    }
    throw e;
  }
  const cas = new Map<CaName, IssuingCa>();
  const pairs = new Map<CaName, CaPair>();
  for (const o of opening) {
    const current = await o.current;
    cas.set(o.name, current);
    pairs.set(o.name, { current, next: o.next ? await o.next : undefined });
  }
  const nexts = [...pairs.values()].flatMap((p) => (p.next ? [p.next] : []));
  const rotationStore = options.rotationStore ?? (await openRotationStore(config.audit, baseDir));
  const rotations = new CaRotations(pairs, { store: rotationStore, refreshSeconds: config.rotation.refreshSeconds, now });
  await rotations.load();
  const policy = compilePolicy(config);
  const owned = options.audit === undefined && primary === undefined;
  const store =
    primary?.audit ??
    options.audit ??
    (await createAuditLog(config.audit, baseDir, { checkpointSigner: await openCheckpointSigner(config, (name) => cas.get(name)?.signer, dev) }));
  // Every append of this service goes through here; the store itself only for reading and lifecycle.
  // A worker's appends are timed in its primary, where they are stored (counted once, not twice).
  const audit = observedAuditLog(store, primary ? NO_METRICS : metrics, options.onAuditRecord);
  // A worker's primary wrote these at its start.
  if (!primary) await auditSignerWarnings(audit, [...cas.values(), ...nexts]);

  const windowSeconds = durationSeconds(config.idempotency.window, "idempotency.window");
  const opened = options.idempotencyStore || primary ? undefined : await openIdempotencyStore(config.idempotency);
  const idempotency =
    primary?.idempotency ??
    createIdempotency({
      store: options.idempotencyStore ?? opened!.store,
      windowSeconds,
      now,
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });

  const healthOptions = options.keyCheckIntervalMs === undefined ? {} : { intervalMs: options.keyCheckIntervalMs };
  const health = new SignerHealth(cas.values(), healthOptions);
  // The next CAs' keys are checked too (readiness names them signer:<name>:next): a rotation must
  // not reach sign-new with a key that cannot sign.
  const nextHealth = new SignerHealth(nexts, healthOptions);
  health.start();
  nextHealth.start();
  const deps: PipelineDeps = {
    policy,
    signingCa: async (name) => (await rotations.view(name))?.signing,
    audit,
    now,
    serial: options.serial ?? randomSerial,
    idempotency,
    metrics,
    onSigningFailure: (ca, error) => (nexts.includes(ca) ? nextHealth : health).signingFailed(ca.name, error),
  };

  const reader = primary ? primary.reader : isReader(store) ? store : undefined;
  /** Each listed node, and each node-group member that has reported, as it stands for one CA. */
  async function progressOf(ca: CaName, current: string, next: string, afterSeq: number | undefined): Promise<NodeProgress[]> {
    const reports = await latestTrustReports(reader!, afterSeq);
    const names = [...new Set([...config.nodes.map((n) => n.name), ...reports.keys()])];
    return names.map((n) => nodeProgress(n, reports.get(n), ca, current, next));
  }

  return {
    config,
    issuingCas: cas,
    rotations,
    audit,
    auditReader: reader,
    idempotency,
    sign: (caller, origin, item) => runPipeline(deps, caller, origin, item),
    cas: async () => (await rotations.views()).map(caSummary),
    async rotationStatus(): Promise<RotationStatus[]> {
      const out: RotationStatus[] = [];
      for (const view of await rotations.views()) {
        const status: RotationStatus = {
          name: view.name,
          phase: view.phase,
          ...(view.since ? { since: view.since } : {}),
          current: view.current.info.sha256,
          ...(view.next ? { next: view.next.info.sha256 } : {}),
          nodes: [],
        };
        if (!view.next || view.phase === "idle" || !reader) {
          out.push(status);
          continue;
        }
        const nodes = await progressOf(view.name, view.current.info.sha256, view.next.info.sha256, view.sinceSeq);
        const to = rotationTarget("advance", view.phase);
        out.push({ ...status, nodes, ...(to ? { advance: { to, blocking: readinessViolations(view.name, view.phase, to, nodes) } } : {}) });
      }
      return out;
    },
    async changeRotation(caller: Caller, origin: RequestOrigin, change: RotationChange): Promise<CaSummary> {
      if (primary) {
        const summary = await primary.changeRotation(caller, origin, change);
        await rotations.load(); // this worker follows at once; the others within rotation.refreshSeconds
        return summary;
      }
      const view = await rotations.change(change, actorOf(caller, origin), origin.requestId, audit, async (ca, from, to, afterSeq) => {
        const pair = rotations.pair(ca)!;
        if (!reader) return [{ field: "audit", rule: "audit-unreadable", message: "this service cannot read its audit log, so it cannot tell whether the nodes are ready; pass force" }];
        // An abort to idle must see every node's newest report, whenever it came.
        const nodes = await progressOf(ca, pair.current.info.sha256, pair.next!.info.sha256, to === "idle" ? undefined : afterSeq);
        return readinessViolations(ca, from, to, nodes);
      });
      return caSummary(view);
    },
    async retireNode(caller: Caller, origin: RequestOrigin, { node, reason }): Promise<NodeRetirement> {
      const actor = actorOf(caller, origin);
      const refuse = async (violation: Violation): Promise<never> => {
        await audit.append({ event: "refused", requestId: origin.requestId, actor, node, message: reason, violations: [violation] });
        throw new KubecaError("KUBECA_NODE_RETIRE_REFUSED", `retire ${node}: ${violation.message}`, { violations: [violation] });
      };
      if (config.nodes.some((n) => n.name === node)) {
        return refuse({
          field: "node",
          rule: "node-in-config",
          message: `${node} is still listed under nodes: in the config, which trusts it; remove it from the config and restart or redeploy the service first, then retire it`,
        });
      }
      if (!reader) return refuse({ field: "audit", rule: "audit-unreadable", message: "this service cannot read its audit log, so it cannot tell which certificates the node holds" });
      // One read of the log: retiring is rare, and the log is the only place the fleet is known.
      const { inventory } = await readInventory(reader);
      const rows = inventory.rows().filter((r) => r.node === node);
      if (rows.length === 0) {
        const retired = inventory.retiredAt(node);
        return refuse(
          retired === undefined
            ? { field: "node", rule: "node-unknown", message: `no certificate issued to ${node} is in the audit log; check the name against kubeca audit inventory` }
            : { field: "node", rule: "node-retired", message: `${node} was retired already (audit record ${retired}) and has been issued nothing since` },
        );
      }
      const record = await audit.append({ event: "node-retired", requestId: origin.requestId, actor, node, message: reason });
      return { node, seq: record.seq, time: record.time, certificates: rows.map((r) => ({ file: r.file, serial: r.serial, notAfter: r.notAfter })) };
    },
    async reportTrust(caller: Caller, origin: RequestOrigin, trust: readonly AuditTrustReportCa[]): Promise<void> {
      if (caller.node === undefined) throw new KubecaError("KUBECA_FORBIDDEN", `${caller.subject} is an ${caller.role} caller; only nodes report what they trust`);
      await audit.append({ event: "node-trust-reported", requestId: origin.requestId, actor: actorOf(caller, origin), trust });
    },
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
      checks.push(...(await nextHealth.checks()).map((c) => ({ ...c, name: `${c.name}:next` })));
      checks.push(await auditCheck(store));
      return checks;
    },
    async close(): Promise<void> {
      health.stop();
      nextHealth.stop();
      opened?.close();
      if (owned && hasClose(store)) await store.close();
      // After the audit log: its checkpoint signer may be one of these.
      for (const ca of [...cas.values(), ...nexts]) if (isClosable(ca.signer)) ca.signer.close();
      rotationStore.close();
    },
  };
}

/** GET /v1/ca's entry for one CA: the signing CA, the bundle nodes must trust, and the rotation when a next CA is configured. */
export function caSummary(view: RotationView): CaSummary {
  return {
    name: view.name,
    certificate: view.signing.info.pem,
    bundle: view.trusted.map((ca) => ca.info.pem).join(""),
    ...(view.next
      ? { rotation: { phase: view.phase, current: view.current.info.pem, next: view.next.info.pem, ...(view.since ? { since: view.since } : {}) } }
      : {}),
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
