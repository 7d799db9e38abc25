// Idempotent issuance: the same caller sending the same CSR for the same file within the window gets the
// certificate issued the first time, with no second signature.
// - Identical requests in flight at once in this process share one attempt (an in-flight map): only the
//   first signs; the others wait for it and hand back its certificate. The map entry is set before the
//   first await, so two requests cannot both miss it.
// - Only a successful issuance is remembered, and only after its audit record is stored (issue() has
//   appended it when it resolves). A failed attempt is not remembered: waiters then try themselves.
// - The store is a convenience for retries, not a control: when it cannot be read or written, issuance
//   goes on as if nothing were remembered, with a warning (the audit log still records everything).
// Across Lambda instances only the store deduplicates: two instances racing on the very same request may
// both sign; the conditional put keeps the first as the answer for later retries.
import type { SignResult } from "./types.js";
import type { IdempotencyStore, RememberedIssuance } from "./idempotency-store.js";

export interface IdempotencySteps {
  /** Parse-to-audit is done; sign, append `issued`, and say what was issued. */
  issue(): Promise<RememberedIssuance>;
  /** Append `reissued` for this request and answer with the earlier certificate. */
  replay(prior: RememberedIssuance): Promise<SignResult>;
}

export interface Idempotency {
  run(key: string, steps: IdempotencySteps): Promise<SignResult>;
}

export interface IdempotencyOptions {
  readonly store: IdempotencyStore;
  readonly windowSeconds: number;
  readonly now: () => Date;
  readonly onWarning?: (message: string, cause?: unknown) => void;
}

interface Outcome {
  readonly entry: RememberedIssuance;
  /** Signed by this attempt (already audited as `issued`), rather than found in the store. */
  readonly fresh: boolean;
}

export function createIdempotency(options: IdempotencyOptions): Idempotency {
  const { store, windowSeconds, now } = options;
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, "KubecaIdempotencyWarning"));
  const inflight = new Map<string, Promise<Outcome>>();

  async function lookup(key: string): Promise<RememberedIssuance | undefined> {
    try {
      return await store.get(key, now());
    } catch (e) {
      warn(`idempotency store unreadable; issuing as if nothing were remembered: ${(e as Error)?.message ?? e}`, e);
      return undefined;
    }
  }

  async function attempt(key: string, steps: IdempotencySteps): Promise<Outcome> {
    const stored = await lookup(key);
    if (stored) return { entry: stored, fresh: false };
    const entry = await steps.issue();
    const at = now();
    try {
      await store.put(key, entry, new Date(at.getTime() + windowSeconds * 1000), at);
    } catch (e) {
      warn(`idempotency store unwritable; a retry of this request will be signed again: ${(e as Error)?.message ?? e}`, e);
    }
    return { entry, fresh: true };
  }

  async function run(key: string, steps: IdempotencySteps): Promise<SignResult> {
    const pending = inflight.get(key);
    if (pending) {
      const prior = await pending.then(
        (o) => o.entry,
        () => undefined,
      );
      // The first attempt failed (signer or audit store down): this request makes its own.
      return prior ? steps.replay(prior) : run(key, steps);
    }
    const mine = attempt(key, steps);
    inflight.set(key, mine);
    try {
      const outcome = await mine;
      return outcome.fresh ? outcome.entry.result : await steps.replay(outcome.entry);
    } finally {
      if (inflight.get(key) === mine) inflight.delete(key);
    }
  }

  return { run };
}
