// The messages between the primary process of `kubeca serve --workers N` and its workers, over
// node:cluster's IPC channel as JSON (half the CPU of `serialization: "advanced"` per round trip,
// measured: 30 against 73 µs on Node 20): bytes cross as base64, undefined members are left out (as
// the audit log's canonical JSON leaves them out).
//
// A worker parses, checks and signs; the primary owns what must be one across workers. Every call a
// worker makes is one request message and one answer:
//   audit-append      one record of any event: the primary appends it to the one chain
//   admit             rate limits: the one set of buckets
//   admit-refused     refused credentials per source address: the same
//   replay-claim      a certificate proof's jti: the one replay cache
//   readiness         /readyz answers with the primary's checks (signers, audit store, workers)
//   idempotency-run   the one idempotency window: the answer is "replay this" or "issue it";
//                     after "issue", the worker reports the outcome with one idempotency-outcome
//                     message (no answer), so identical requests at other workers wait for it.
//   rotation-change   a CA rotation's phase change, decided and written by the primary alone (the
//                     file store's compare-and-set holds within one process)
//   metrics           a scrape: the primary asks every worker for its registry (metrics-request,
//                     answered by a metrics message), adds its own and combines them with
//                     prom-client's AggregatorRegistry (counters summed, gauges as each one says)
import type { AuditEvent, AuditRecord } from "../../audit/types.js";
import type { Caller, RequestOrigin } from "../../auth/caller.js";
import type { LoadedConfig } from "../../config/index.js";
import type { ErrorCode } from "../../errors/codes.js";
import { KubecaError, isKubecaError, type Violation } from "../../errors/index.js";
import type { RememberedIssuance } from "../../issuance/idempotency-store.js";
import type { RotationChange } from "../../issuance/ca-rotation.js";
import type { CaSummary, ReadinessCheck } from "../../issuance/types.js";

export type WorkerCall =
  | { readonly op: "audit-append"; readonly event: AuditEvent }
  | { readonly op: "admit"; readonly caller: Caller; readonly cost: number }
  | { readonly op: "admit-refused"; readonly sourceIp: string | undefined }
  | { readonly op: "replay-claim"; readonly jti: string; readonly expiresAt: number; readonly nowSeconds: number }
  | { readonly op: "readiness" }
  | { readonly op: "idempotency-run"; readonly key: string }
  | { readonly op: "rotation-change"; readonly caller: Caller; readonly origin: RequestOrigin; readonly change: RotationChange }
  | { readonly op: "metrics" };

/** What each call resolves to. */
export interface CallResults {
  "audit-append": AuditRecord;
  admit: null;
  "admit-refused": null;
  "replay-claim": boolean;
  readiness: readonly ReadinessCheck[];
  "idempotency-run": { readonly action: "issue" } | { readonly action: "replay"; readonly prior: RememberedIssuance };
  "rotation-change": CaSummary;
  /** The exposition text, every process combined. */
  metrics: string;
}

/** An error as it crosses the channel: a KubecaError's code and operator text, never a stack or a cause. */
export interface WireError {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly retryAfter: number | undefined;
  readonly violations: readonly Violation[];
}

export type WorkerMessage =
  /** The worker listens for messages now (one sent earlier would be lost): send the start message. */
  | { readonly kind: "hello" }
  | { readonly kind: "call"; readonly id: number; readonly call: WorkerCall }
  | { readonly kind: "idempotency-outcome"; readonly id: number; readonly entry: RememberedIssuance | undefined }
  | { readonly kind: "listening"; readonly address: string }
  /** The answer to a metrics-request: this worker's registry as prom-client's JSON. */
  | { readonly kind: "metrics"; readonly id: number; readonly metrics: unknown }
  | { readonly kind: "start-failed"; readonly error: StartError };

export type PrimaryMessage =
  | { readonly kind: "answer"; readonly id: number; readonly value: unknown }
  | { readonly kind: "answer"; readonly id: number; readonly error: WireError }
  | { readonly kind: "start"; readonly start: WorkerStart }
  | { readonly kind: "metrics-request"; readonly id: number }
  | { readonly kind: "close" };

/** Several messages written at once (outbox.ts). */
export interface Batch<M> {
  readonly kind: "batch";
  readonly messages: readonly M[];
}

/** Why a worker could not start: a KubecaError, or an operating-system error (a port in use). */
export type StartError =
  | ({ readonly type: "kubeca" } & WireError)
  | { readonly type: "system"; readonly message: string; readonly code: string; readonly syscall?: string; readonly address?: string; readonly port?: number }
  | { readonly type: "other"; readonly message: string };

/** Everything a worker needs, from the primary that already validated it. */
export interface WorkerStart {
  readonly loaded: LoadedConfig;
  readonly dev: boolean;
  /**
   * PKCS#8 DER (base64) of each development CA key with its certificate, by where the CA sits in the
   * config (`cas.ca`, `cas.ca.next`): the primary's, so all sign alike.
   */
  readonly development: readonly { readonly at: string; readonly pkcs8: string; readonly certificate: string }[];
  readonly host: string;
  readonly port: number;
  /** PEM text of the TLS certificate chain and key. */
  readonly https: { readonly cert: string; readonly key: string } | undefined;
  readonly trustProxy: boolean;
  readonly logLevel: string;
}

export function toWireError(error: unknown): WireError {
  if (isKubecaError(error)) return { code: error.code, detail: error.detail, retryAfter: error.retryAfter, violations: error.violations };
  return { code: "KUBECA_INTERNAL", detail: "the primary process failed to answer; see its log", retryAfter: undefined, violations: [] };
}

export function fromWireError(error: WireError): KubecaError {
  return new KubecaError(error.code, error.detail, {
    violations: error.violations,
    ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
  });
}

export function toStartError(error: unknown): StartError {
  if (isKubecaError(error)) return { type: "kubeca", ...toWireError(error) };
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e instanceof Error && typeof e.code === "string") {
    return {
      type: "system",
      message: e.message,
      code: e.code,
      ...(e.syscall ? { syscall: e.syscall } : {}),
      ...(e.address ? { address: e.address } : {}),
      ...(e.port !== undefined ? { port: e.port } : {}),
    };
  }
  return { type: "other", message: error instanceof Error ? error.message : String(error) };
}

/** The error a worker's start failed with, rebuilt in the primary so the CLI reports it as usual. */
export function fromStartError(error: StartError): Error {
  if (error.type === "kubeca") return fromWireError(error);
  if (error.type === "system") return Object.assign(new Error(error.message), { code: error.code, syscall: error.syscall, address: error.address, port: error.port });
  return new Error(error.message);
}
