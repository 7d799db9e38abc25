// Mirror for CloudWatch (or any log collector): each stored record, and each checkpoint, as one
// canonical JSON line. The mirror follows the durable store and never decides an append: a record
// is mirrored only once stored, and a broken stdout does not fail the append.
import { canonicalJson } from "./canonical-json.js";
import type { AuditStore } from "./store.js";
import type { AuditEvent, AuditRecord } from "./types.js";

export function mirrorLine(out: NodeJS.WritableStream, value: object): void {
  try {
    out.write(canonicalJson(value) + "\n");
  } catch {
    // The durable store has it; a closed stdout is no reason to refuse.
  }
}

export function withStdoutMirror(store: AuditStore, out: NodeJS.WritableStream): AuditStore {
  return {
    async append(event: AuditEvent): Promise<AuditRecord> {
      const record = await store.append(event);
      mirrorLine(out, record);
      return record;
    },
    read: (query) => store.read(query),
    chain: () => store.chain(),
    checkpoints: () => store.checkpoints(),
    ...(store.tornTail ? { tornTail: () => store.tornTail!() } : {}),
    ready: () => store.ready(),
    close: () => store.close(),
  };
}
