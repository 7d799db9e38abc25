// What the stores offer besides AuditLog.append: reading pages for people, reading everything in
// storage order for verify and export, and the lifecycle the service needs.
import type { AuditCheckpoint } from "./checkpoint.js";
import type { AuditPage, AuditQuery } from "./query.js";
import type { AuditLog, AuditRecord } from "./types.js";

/** One stored item as found, in storage order. `location` says where, for messages: "line 12", "item seq=12". */
export type Stored<T> =
  | { readonly location: string; readonly value: T }
  | { readonly location: string; readonly unreadable: string };

export interface AuditReader {
  /** Matching records, newest first, one page at a time. Throws KUBECA_BAD_REQUEST for a bad query. */
  read(query: AuditQuery): Promise<AuditPage>;
  /** Every stored record in storage order, exactly as stored (unknown members kept), including unreadable ones. */
  chain(): AsyncIterable<Stored<AuditRecord>>;
  /** Every stored checkpoint in storage order. */
  checkpoints(): AsyncIterable<Stored<AuditCheckpoint>>;
}

export interface AuditStore extends AuditLog, AuditReader {
  /** Readiness: resolves when the store can take records, rejects with KUBECA_AUDIT_UNAVAILABLE otherwise. */
  ready(): Promise<void>;
  /** Waits for appends in flight, proves the head with a last checkpoint, releases files and clients. */
  close(): Promise<void>;
}
