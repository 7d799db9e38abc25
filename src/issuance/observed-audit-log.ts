// The audit log as the pipeline and the kubelet signer append to it, measured: how long each append
// took, which failed, and each stored record handed to `onRecord` (the fleet inventory), so
// whoever owns the log owns the figures derived from it.
import { isKubecaError } from "../errors/index.js";
import type { AuditLog, AuditRecord } from "../audit/types.js";
import type { AuditMetrics } from "../metrics/index.js";

export function observedAuditLog(log: AuditLog, metrics: AuditMetrics, onRecord?: (record: AuditRecord) => void): AuditLog {
  return {
    async append(event) {
      const started = performance.now();
      let record: AuditRecord;
      try {
        record = await log.append(event);
      } catch (e) {
        metrics.auditAppendFailure(isKubecaError(e) ? e.code : "KUBECA_INTERNAL");
        throw e;
      }
      metrics.auditAppend((performance.now() - started) / 1000);
      onRecord?.(record);
      return record;
    },
  };
}
