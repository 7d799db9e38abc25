// Batch semantics for POST /v1/sign/batch:
// - A refusal of one item (any 4xx but 401 and 429: bad CSR, unknown name, policy) becomes that
//   item's `problem`; the other items are still signed.
// - An outage or fault on any item (5xx: signer or audit store unavailable, misconfiguration; or 429)
//   fails the whole request with that error, so a client never installs half a control plane from a
//   response it thinks complete. Items already signed are in the audit log; the retry gets them back
//   through idempotency without a second signature. After the first such error no new item starts.
// Items run with a small concurrency: KMS latency dominates, and the answer keeps the request's order.
import type { Caller, RequestOrigin } from "../auth/caller.js";
import { ERRORS, isKubecaError, type KubecaError } from "../errors/index.js";
import type { IssuanceService, SignItem, SignResult } from "../issuance/types.js";
import { problemBody, type Problem } from "./problem.js";

export const BATCH_CONCURRENCY = 4;

export type BatchItemResult = SignResult | { readonly name: string; readonly problem: Problem };

function isItemRefusal(error: unknown): error is KubecaError {
  if (!isKubecaError(error)) return false;
  const status = ERRORS[error.code].status;
  return status >= 400 && status < 500 && status !== 401 && status !== 429;
}

export async function signBatch(
  service: IssuanceService,
  caller: Caller,
  origin: RequestOrigin,
  items: readonly SignItem[],
): Promise<BatchItemResult[]> {
  const results: BatchItemResult[] = new Array(items.length);
  // Shared by the workers.
  const state: { next: number; failure?: { index: number; error: unknown } } = { next: 0 };

  async function worker(): Promise<void> {
    // A function, not an inline test: the compiler would keep `state.failure` narrowed across awaits.
    const stopped = (): boolean => state.failure !== undefined || state.next >= items.length;
    while (!stopped()) {
      const index = state.next++;
      const item = items[index]!;
      try {
        results[index] = await service.sign(caller, origin, item);
      } catch (error) {
        if (isItemRefusal(error)) {
          results[index] = { name: item.name, problem: problemBody(error, origin.requestId) };
        } else if (state.failure === undefined || index < state.failure.index) {
          state.failure = { index, error };
        }
      }
    }
  }

  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, items.length) }, worker));
  if (state.failure !== undefined) throw state.failure.error;
  return results;
}
