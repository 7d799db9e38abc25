// A worker's view of what its primary owns: each operation is one call over the channel, except a
// /v1/sign request's rate-limit charge, which rides on that request's next call (see admit below).
import type { AuditLog } from "../../audit/types.js";
import type { Caller } from "../../auth/caller.js";
import type { ReplayCache } from "../../auth/replay-cache.js";
import type { Idempotency } from "../../issuance/idempotency.js";
import type { PrimaryServices } from "../create-app.js";
import type { RateLimiter } from "../rate-limiter.js";
import type { PrimaryChannel } from "./primary-channel.js";
import type { Admission } from "./protocol.js";

export interface WorkerServices extends PrimaryServices {
  /**
   * The request has been answered: a charge deferred for it that no call carried (it failed before
   * it reached the primary) is sent now, so every admitted request is charged.
   */
  settle(requestId: string): void;
}

/**
 * Far more than requests in flight. A request whose client went away and that failed before its first
 * call may never be answered, so its charge is never taken: past this many, charges go at once.
 */
const MAX_DEFERRED = 4_096;

export function remoteServices(channel: PrimaryChannel): WorkerServices {
  // Charges of one token deferred by request id until that request's first call to the primary.
  const deferred = new Map<string, Admission>();
  const charge = async ({ caller, cost }: Admission): Promise<void> => {
    await channel.call({ op: "admit", caller, cost }, "KUBECA_NOT_READY");
  };
  const take = (requestId: string | undefined): Admission | undefined => {
    if (requestId === undefined) return undefined;
    const admission = deferred.get(requestId);
    if (admission) deferred.delete(requestId);
    return admission;
  };

  const audit: AuditLog = {
    async append(event) {
      // A refusal of an admitted request: charged first, as a call of its own, so that over the limit
      // the 429 comes before the record (a 429 is not audited) with every caller's usual error path.
      const admission = take(event.requestId);
      if (admission) await charge(admission);
      return (await channel.call({ op: "audit-append", event }, "KUBECA_AUDIT_UNAVAILABLE")).value;
    },
  };

  const rateLimiter: RateLimiter = {
    admit: (caller: Caller, cost: number, requestId?: string) => {
      // A single request's token goes with its idempotency-run, which the primary answers only after
      // charging it: one round trip fewer per certificate, and still nothing signed over the limit.
      // A batch's charge (every item at once, before any item starts) stays a call of its own.
      if (requestId !== undefined && cost === 1 && !deferred.has(requestId) && deferred.size < MAX_DEFERRED) {
        deferred.set(requestId, { caller, cost });
        return;
      }
      return charge({ caller, cost });
    },
    admitRefusedCredential: async (sourceIp) => {
      await channel.call({ op: "admit-refused", sourceIp }, "KUBECA_NOT_READY");
    },
  };

  const replayCache: ReplayCache = {
    claim: async (jti, expiresAt, nowSeconds) => (await channel.call({ op: "replay-claim", jti, expiresAt, nowSeconds }, "KUBECA_NOT_READY")).value,
  };

  // The primary runs the one window (its in-flight map and store) and says, for each request, whether
  // this worker signs or hands back a certificate issued before; a worker that signs reports back, so
  // identical requests waiting at other workers get its certificate or, if it failed, try themselves.
  const idempotency: Idempotency = {
    async run(key, steps) {
      const admit = take(steps.requestId);
      const { id, value } = await channel.call({ op: "idempotency-run", key, ...(admit ? { admit } : {}) }, "KUBECA_NOT_READY");
      if (value.action === "replay") return steps.replay(value.prior);
      let entry;
      try {
        entry = await steps.issue();
      } catch (e) {
        channel.reportIssued(id, undefined);
        throw e;
      }
      channel.reportIssued(id, entry);
      return entry.result;
    },
  };

  return {
    audit,
    idempotency,
    rateLimiter,
    replayCache,
    readiness: async () => (await channel.call({ op: "readiness" }, "KUBECA_NOT_READY")).value,
    changeRotation: async (caller, origin, change) => (await channel.call({ op: "rotation-change", caller, origin, change }, "KUBECA_NOT_READY")).value,
    metrics: async () => (await channel.call({ op: "metrics" }, "KUBECA_NOT_READY")).value,
    settle(requestId) {
      const admission = take(requestId);
      // Late, and its answer cannot change what was sent: it only keeps the budget honest.
      if (admission) charge(admission).catch(() => undefined);
    },
  };
}
