// An AuditLog that keeps records in an array and can be told to fail, as a store that is down does.
import type { AuditEvent, AuditLog, AuditRecord } from "../../src/audit/types.js";
import { KubecaError } from "../../src/errors/index.js";

export class MemoryAuditLog implements AuditLog {
  readonly records: AuditRecord[] = [];
  failing = false;
  rejected = 0;

  async append(event: AuditEvent): Promise<AuditRecord> {
    if (this.failing) {
      this.rejected++;
      throw new KubecaError("KUBECA_AUDIT_UNAVAILABLE", "the audit store is down (test)", { retryAfter: 1 });
    }
    const seq = this.records.length + 1;
    const record: AuditRecord = { ...event, seq, time: new Date().toISOString(), id: `r${seq}`, prevHash: "", hash: "" };
    this.records.push(record);
    return record;
  }

  events(): string[] {
    return this.records.map((r) => `${r.event} ${r.request?.file ?? ""}`);
  }
}
