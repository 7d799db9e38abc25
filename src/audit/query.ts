// Filters and paging for reading the log, shared by every store, the CLI and GET /v1/audit.
// Pages run newest first; a cursor says "continue with records older than seq N".
import { KubecaError } from "../errors/index.js";
import type { AuditEventType, AuditRecord } from "./types.js";
import { isAuditEventType } from "./record.js";

export interface AuditQuery {
  /** ISO-8601; records at or after this time. */
  readonly since?: string;
  /** ISO-8601; records before this time (exclusive, so consecutive ranges do not overlap). */
  readonly until?: string;
  /** The caller's node (actor.node). */
  readonly node?: string;
  /** Certificate serial, hex; colons, case and leading zeros are ignored. */
  readonly serial?: string;
  readonly event?: AuditEventType | readonly AuditEventType[];
  /** Records per page; default 100. */
  readonly limit?: number;
  /** nextCursor of the previous page. */
  readonly cursor?: string;
}

export interface AuditPage {
  /** Newest first. */
  readonly records: AuditRecord[];
  /** Present when older matching records may exist. */
  readonly nextCursor: string | undefined;
}

export const DEFAULT_PAGE_LIMIT = 100;

/** Where a page starts: strictly older than `beforeSeq`; stores may keep a position hint next to it. */
export interface PageCursor {
  readonly beforeSeq: number;
  /** File store: byte offset of the line with seq `beforeSeq`, so the next page need not rescan. */
  readonly offset?: number;
}

export interface CompiledQuery {
  readonly limit: number;
  readonly cursor: PageCursor | undefined;
  matches(record: AuditRecord): boolean;
}

function badRequest(detail: string): KubecaError {
  return new KubecaError("KUBECA_BAD_REQUEST", detail);
}

function parseTime(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw badRequest(`${name} must be an ISO-8601 time such as 2026-01-31T00:00:00Z, not ${JSON.stringify(value)}`);
  return ms;
}

export function normaliseSerial(serial: string): string {
  return serial.replaceAll(":", "").toLowerCase().replace(/^0+(?=.)/, "");
}

/** Validates a query once; every store then calls `matches` per record. Throws KUBECA_BAD_REQUEST. */
export function compileQuery(query: AuditQuery): CompiledQuery {
  const since = parseTime("since", query.since);
  const until = parseTime("until", query.until);
  const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw badRequest(`limit must be a positive integer, not ${limit}`);
  const events = query.event === undefined ? undefined : new Set<string>(typeof query.event === "string" ? [query.event] : query.event);
  for (const e of events ?? []) {
    if (!isAuditEventType(e)) throw badRequest(`unknown event ${JSON.stringify(e)}`);
  }
  const serial = query.serial === undefined ? undefined : normaliseSerial(query.serial);
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  return {
    limit,
    cursor,
    matches(r: AuditRecord): boolean {
      if (cursor && r.seq >= cursor.beforeSeq) return false;
      if (events && !events.has(r.event)) return false;
      if (query.node !== undefined && r.actor.node !== query.node) return false;
      if (serial !== undefined && (r.result?.serial === undefined || normaliseSerial(r.result.serial) !== serial)) return false;
      if (since !== undefined || until !== undefined) {
        const t = Date.parse(r.time);
        if (since !== undefined && !(t >= since)) return false;
        if (until !== undefined && !(t < until)) return false;
      }
      return true;
    },
  };
}

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

export function decodeCursor(text: string): PageCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  const c = value as Partial<PageCursor> | undefined;
  if (
    typeof c !== "object" ||
    c === null ||
    !Number.isSafeInteger(c.beforeSeq) ||
    (c.offset !== undefined && (!Number.isSafeInteger(c.offset) || c.offset < 0))
  ) {
    throw badRequest("cursor is not one kubeca returned; pass nextCursor from the previous page unchanged");
  }
  return c.offset === undefined ? { beforeSeq: c.beforeSeq as number } : { beforeSeq: c.beforeSeq as number, offset: c.offset };
}
