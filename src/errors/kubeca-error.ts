import type { ErrorCode } from "./codes.js";

/** One broken rule, as shown to the operator in problem+json `violations`. */
export interface Violation {
  /** Where the problem is: `subject.CN`, `subject.O`, `san.dns[2]`, `san.ip`, `key`, `name`, ... */
  readonly field: string;
  /** Which rule broke; a closed set documented in policy/rules.ts. */
  readonly rule: string;
  readonly message: string;
}

export interface KubecaErrorOptions {
  violations?: readonly Violation[];
  /** Seconds a caller should wait before retrying (503, 429). */
  retryAfter?: number;
  /** Internal cause: goes to the log with the request id, never to the caller. */
  cause?: unknown;
}

/**
 * The one error type domain code raises. `detail` speaks to the operator; `cause` stays internal.
 * Domain layers know no HTTP: server/, lambda/ and cli/ map `code` to a status or exit code.
 */
export class KubecaError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly violations: readonly Violation[];
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, detail: string, options: KubecaErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "KubecaError";
    this.code = code;
    this.detail = detail;
    this.violations = options.violations ?? [];
    this.retryAfter = options.retryAfter;
  }
}

export function isKubecaError(e: unknown): e is KubecaError {
  return e instanceof KubecaError;
}
