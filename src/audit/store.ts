// What the stores offer besides AuditLog.append: reading pages for people, reading everything in
// storage order for verify and export, and the lifecycle the service needs.
import type { AuditCheckpoint } from "./checkpoint.js";
import type { AuditPage, AuditQuery } from "./query.js";
import type { AuditLog, AuditRecord } from "./types.js";

/**
 * One stored item as found, in storage order. `location` says where, for messages: "line 12", "item
 * seq=12". `raw` is the exact stored bytes (the line without its newline, or the item's text as
 * UTF-8), which verify holds against the canonical encoding of `value`.
 */
export type Stored<T> =
  | { readonly location: string; readonly value: T; readonly raw?: Uint8Array }
  | { readonly location: string; readonly unreadable: string };

/** Bytes after the last newline of a JSONL file: a write a crash cut off, never acknowledged. */
export interface TornTail {
  readonly location: string;
  readonly bytes: number;
}

export interface AuditReader {
  /** Matching records, newest first, one page at a time. Throws KUBECA_BAD_REQUEST for a bad query. */
  read(query: AuditQuery): Promise<AuditPage>;
  /** Every stored record in storage order, exactly as stored (unknown members kept), including unreadable ones. */
  chain(): AsyncIterable<Stored<AuditRecord>>;
  /** Every stored checkpoint in storage order. */
  checkpoints(): AsyncIterable<Stored<AuditCheckpoint>>;
  /** Stores with lines say what follows the last complete one (undefined: nothing). */
  tornTail?(): Promise<TornTail | undefined>;
}

export interface AuditStore extends AuditLog, AuditReader {
  /** Readiness: resolves when the store can take records, rejects with KUBECA_AUDIT_UNAVAILABLE otherwise. */
  ready(): Promise<void>;
  /** Waits for appends in flight, proves the head with a last checkpoint, releases files and clients. */
  close(): Promise<void>;
}
