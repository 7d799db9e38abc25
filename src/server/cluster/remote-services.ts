// A worker's view of what its primary owns: each operation is one call over the channel.
import type { AuditLog } from "../../audit/types.js";
import type { ReplayCache } from "../../auth/replay-cache.js";
import type { Idempotency } from "../../issuance/idempotency.js";
import type { PrimaryServices } from "../create-app.js";
import type { RateLimiter } from "../rate-limiter.js";
import type { PrimaryChannel } from "./primary-channel.js";

export function remoteServices(channel: PrimaryChannel): PrimaryServices {
  const audit: AuditLog = {
    append: async (event) => (await channel.call({ op: "audit-append", event }, "KUBECA_AUDIT_UNAVAILABLE")).value,
  };

  const rateLimiter: RateLimiter = {
    admit: async (caller, cost) => {
      await channel.call({ op: "admit", caller, cost }, "KUBECA_NOT_READY");
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
      const { id, value } = await channel.call({ op: "idempotency-run", key }, "KUBECA_NOT_READY");
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
  };
}
