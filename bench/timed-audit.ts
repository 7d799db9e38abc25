// An audit log whose appends are timed, for the benches that report the audit write's share.
import type { AuditLog } from "../src/audit/index.js";

export function timedAppends(store: AuditLog): { audit: Pick<AuditLog, "append">; appendMs: number[] } {
  const appendMs: number[] = [];
  return {
    appendMs,
    audit: {
      async append(event) {
        const start = performance.now();
        try {
          return await store.append(event);
        } finally {
          appendMs.push(performance.now() - start);
        }
      },
    },
  };
}
