// GET /audit (registered under /v1): audit records for the auditor role, newest first, paged with
// a cursor. Register with { prefix: "/v1", reader, authorize }; `authorize` decides who may read
// (it throws KubecaError, e.g. KUBECA_UNAUTHENTICATED or KUBECA_FORBIDDEN) and runs before the query
// is even looked at, so a caller without the role learns nothing.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { AUDIT_EVENT_TYPES, isAuditEventType, type AuditEventType, type AuditQuery, type AuditReader } from "../../audit/index.js";
import { KubecaError, type Violation } from "../../errors/index.js";

export interface AuditRouteOptions {
  readonly reader: AuditReader;
  readonly authorize: (request: FastifyRequest) => Promise<void>;
}

export const AUDIT_PAGE_MAX = 500;
const AUDIT_PAGE_DEFAULT = 100;

// `decision` is the name in the HTTP contract; `event` the record field. Both filter the event type.
const PARAMETERS = ["since", "until", "node", "serial", "decision", "event", "limit", "cursor"] as const;
type Parameter = (typeof PARAMETERS)[number];

/** Validates the query string; every bad parameter is one violation (rules as in the body schema). */
export function parseAuditQuery(raw: Record<string, unknown>): AuditQuery {
  const violations: Violation[] = [];
  const bad = (name: string, rule: string, message: string) => violations.push({ field: `query.${name}`, rule, message });
  for (const key of Object.keys(raw)) {
    if (!(PARAMETERS as readonly string[]).includes(key)) bad(key, "unknown-field", `unknown parameter ${key}`);
  }
  const single = (name: Parameter): string | undefined => {
    const v = raw[name];
    if (v === undefined || typeof v === "string") return v;
    bad(name, "type", "must be given once");
    return undefined;
  };
  const time = (name: "since" | "until"): string | undefined => {
    const v = single(name);
    if (v !== undefined && Number.isNaN(Date.parse(v))) bad(name, "format", "must be an ISO-8601 time such as 2026-01-31T00:00:00Z");
    return v;
  };

  const events: AuditEventType[] = [];
  for (const name of ["decision", "event"] as const) {
    const v = raw[name];
    for (const item of (v === undefined ? [] : Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(","))) {
      if (isAuditEventType(item)) events.push(item);
      else bad(name, "format", `${JSON.stringify(item)} is not one of ${AUDIT_EVENT_TYPES.join(", ")}`);
    }
  }
  const limitText = single("limit");
  const limit = limitText === undefined ? AUDIT_PAGE_DEFAULT : /^\d+$/.test(limitText) ? Number(limitText) : Number.NaN;
  if (!(limit >= 1 && limit <= AUDIT_PAGE_MAX)) bad("limit", "format", `must be an integer from 1 to ${AUDIT_PAGE_MAX}`);

  const query: AuditQuery = {
    since: time("since"),
    until: time("until"),
    node: single("node"),
    serial: single("serial"),
    event: events.length ? events : undefined,
    limit,
    cursor: single("cursor"),
  };
  if (violations.length) {
    const fields = [...new Set(violations.map((v) => v.field))].join(", ");
    throw new KubecaError("KUBECA_BAD_REQUEST", `the query is not valid at ${fields}`, { violations });
  }
  return query;
}

export async function auditRoutes(app: FastifyInstance, options: AuditRouteOptions): Promise<void> {
  app.get("/audit", async (request, reply) => {
    await options.authorize(request);
    const page = await options.reader.read(parseAuditQuery(request.query as Record<string, unknown>));
    // Records name nodes and identities: no shared cache keeps them.
    reply.header("cache-control", "no-store");
    return { records: page.records, nextCursor: page.nextCursor ?? null };
  });
}
