// Rate limits for the signing routes: a token bucket per caller identity (per node, for nodes) and one
// for the whole process.
// A request item costs one token: POST /v1/sign costs 1, a batch costs its item count, refused items
// included, because each item is CSR parsing, a policy decision, an audit record and maybe a KMS call.
// Both buckets must hold the cost or neither is charged; the answer is then 429 KUBECA_RATE_LIMITED
// with Retry-After = the seconds until both would. A 429 is not audited: nothing was decided, and
// auditing it would let a flood fill the log.
// Per process: on Lambda each instance has its own buckets, and API Gateway's throttling (serverless.yml)
// is the deployment-wide limit.
import type { Caller } from "../auth/caller.js";
import type { RateLimitsConfig } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import { NO_METRICS, type IssuanceMetrics } from "../metrics/index.js";
import { TokenBucket, type BucketSettings } from "./token-bucket.js";

/**
 * Callers await both methods: in `kubeca serve --workers N` a worker asks the primary process, which
 * holds the one set of buckets (src/server/cluster), so the answer arrives later.
 */
export interface RateLimiter {
  /** Charges `cost` tokens to the caller and to the process, or throws KUBECA_RATE_LIMITED. */
  admit(caller: Caller, cost: number): void | Promise<void>;
  /**
   * Charges one refused credential to its source address before it is audited, or throws
   * KUBECA_RATE_LIMITED: past the limit a refusal is answered 429 and not recorded.
   */
  admitRefusedCredential(sourceIp: string | undefined): void | Promise<void>;
}

/** Above this many remembered callers, buckets that have refilled completely are dropped. */
const MAX_TRACKED_CALLERS = 10_000;

/**
 * Whose bucket a request draws from. A node is one identity however it proves itself: its token, each
 * certificate it holds (every renewal adds one, valid until it expires) and each IAM session name share
 * one bucket, or a node could multiply its limit. Callers bound to no node (auditors) by subject.
 */
function bucketKey(caller: Caller): string {
  return caller.node !== undefined ? `node:${caller.node}` : `${caller.method}:${caller.subject}`;
}

const describe = (b: BucketSettings): string => `${b.burst} at once, ${b.ratePerSecond} per second`;

/** One bucket per key (caller identity, source address), created on first use. */
function keyedBuckets(settings: BucketSettings): (key: string, now: number) => TokenBucket {
  const buckets = new Map<string, TokenBucket>();
  return (key, now) => {
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size >= MAX_TRACKED_CALLERS) {
        // A full bucket is the same as a new one: forgetting it changes nothing.
        for (const [k, b] of buckets) if (b.isFull(now)) buckets.delete(k);
      }
      bucket = new TokenBucket(settings, now);
      buckets.set(key, bucket);
    }
    return bucket;
  };
}

/** The buckets themselves: answers at once (a worker's RateLimiter forwards to these in the primary). */
export interface LocalRateLimiter extends RateLimiter {
  admit(caller: Caller, cost: number): void;
  admitRefusedCredential(sourceIp: string | undefined): void;
}

export function createRateLimiter(
  config: RateLimitsConfig,
  nowMs: () => number = () => performance.now(),
  metrics: Pick<IssuanceMetrics, "rateLimited"> = NO_METRICS,
): LocalRateLimiter {
  const overall = new TokenBucket(config.overall, nowMs());
  const bucketOf = keyedBuckets(config.perCaller);
  const refusalsFrom = keyedBuckets(config.refusedCredentials);

  return {
    admit(caller: Caller, cost: number): void {
      const now = nowMs();
      const mine = bucketOf(bucketKey(caller), now);
      const waitMine = mine.waitSeconds(cost, now);
      const waitAll = overall.waitSeconds(cost, now);
      if (waitMine === 0 && waitAll === 0) {
        mine.take(cost, now);
        overall.take(cost, now);
        return;
      }
      const needs = `this request needs ${cost} token${cost === 1 ? "" : "s"} (one per item)`;
      const which =
        waitMine >= waitAll
          ? `${caller.node !== undefined ? `node ${caller.node}` : caller.subject} is over its rate limit (${describe(config.perCaller)}): ${needs}, ${Math.floor(mine.available(now))} left`
          : `the service is over its overall rate limit (${describe(config.overall)}): ${needs}, ${Math.floor(overall.available(now))} left`;
      const retryAfter = Math.max(1, Math.ceil(Math.max(waitMine, waitAll)));
      metrics.rateLimited(waitMine >= waitAll ? "caller" : "overall");
      throw new KubecaError("KUBECA_RATE_LIMITED", `${which}; nothing was signed, retry in ${retryAfter} s`, { retryAfter });
    },
    admitRefusedCredential(sourceIp: string | undefined): void {
      const now = nowMs();
      const bucket = refusalsFrom(sourceIp ?? "unknown", now);
      const wait = bucket.waitSeconds(1, now);
      if (wait === 0) {
        bucket.take(1, now);
        return;
      }
      const retryAfter = Math.max(1, Math.ceil(wait));
      metrics.rateLimited("refused-credentials");
      throw new KubecaError(
        "KUBECA_RATE_LIMITED",
        `too many refused credentials from ${sourceIp ?? "this address"} (${describe(config.refusedCredentials)}); check the token or certificate, and retry in ${retryAfter} s`,
        { retryAfter },
      );
    },
  };
}
