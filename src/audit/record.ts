// Turning an event into a chained record, and recomputing a stored record's hash.
//   hash     = hex SHA-256 of canonical(record without `hash`)   (canonical-json.ts)
//   prevHash = the previous record's hash; the first record links to GENESIS_HASH.
import { hash } from "node:crypto";
import type { AuditActor, AuditEvent, AuditEventType, AuditRecord, AuditRequest, AuditResult, AuditRotation, AuditTrustReportCa } from "./types.js";
import type { Violation } from "../errors/index.js";
import { canonicalJson, canonicalMembers } from "./canonical-json.js";
import { recordText } from "./record-text.js";

export const GENESIS_HASH = "0".repeat(64);
/** `time` exactly as Date.prototype.toISOString writes it (docs/audit.md): 2026-03-01T10:00:00.000Z. */
const RECORD_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;

// A Record over the union, so the compiler fails here when an event type is added to types.ts.
const EVENT_TYPES: Record<AuditEventType, true> = {
  issued: true,
  reissued: true,
  refused: true,
  "authentication-failed": true,
  "kubelet-csr-approved": true,
  "kubelet-csr-denied": true,
  "kubelet-csr-signed": true,
  "node-client-csr-signed": true,
  "kubelet-csr-unwritten": true,
  "ca-created": true,
  "signing-failed": true,
  "signer-mismatch": true,
  "signer-warning": true,
  "ca-rotation": true,
  "ca-rotation-refused": true,
  "node-trust-reported": true,
  "node-retired": true,
};
export const AUDIT_EVENT_TYPES = Object.freeze(Object.keys(EVENT_TYPES) as AuditEventType[]);

export function isAuditEventType(s: string): s is AuditEventType {
  return Object.hasOwn(EVENT_TYPES, s);
}

/** Where the next record goes: its sequence number and the hash it links to. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

export function sha256Hex(data: string | Uint8Array): string {
  return hash("sha256", data, "hex");
}

/** Hash of a record as stored: every member except `hash` itself, including members this version does not know. */
export function recordHash(stored: object): string {
  const { hash: _ignored, ...body } = stored as Record<string, unknown>;
  return sha256Hex(canonicalJson(body));
}

/**
 * Builds the record for `event` at `head`. Only the fields of the AuditEvent contract are copied, one by
 * one: whatever else a caller's object carries (a token, a raw header) never reaches the log. Every
 * string goes through recordText: well-formed Unicode, bounded.
 */
export function sealRecord(event: AuditEvent, head: ChainHead, meta: { time: string; id: string }): AuditRecord {
  const body = compact({
    seq: head.seq + 1,
    time: meta.time,
    id: meta.id,
    event: event.event,
    requestId: text(event.requestId),
    actor: copyActor(event.actor),
    request: event.request && copyRequest(event.request),
    result: event.result && copyResult(event.result),
    violations: event.violations?.map(copyViolation),
    failure: event.failure && { issuer: text(event.failure.issuer), code: text(event.failure.code), reason: text(event.failure.reason) },
    rotation: event.rotation && copyRotation(event.rotation),
    trust: event.trust?.map(copyTrust),
    node: text(event.node),
    message: text(event.message),
    prevHash: head.hash,
  });
  // One encoding of the body serves both the hash and the stored line (canonical order puts `hash`
  // among the other members), so a record is not encoded twice on its way to the store.
  const members = canonicalMembers(body as unknown as Record<string, unknown>);
  const hash = sha256Hex("{" + members.map((m) => m.text).join(",") + "}");
  const record: AuditRecord = { ...body, hash };
  const at = members.findIndex((m) => m.key > "hash");
  members.splice(at === -1 ? members.length : at, 0, { key: "hash", text: `"hash":${JSON.stringify(hash)}` });
  sealedLines.set(record, "{" + members.map((m) => m.text).join(",") + "}");
  return record;
}

/** The canonical text of each record sealRecord made, computed with its hash. */
const sealedLines = new WeakMap<AuditRecord, string>();

/**
 * A record as one stored line: canonicalJson(record), which sealRecord computed already for the
 * records it made (records are read-only once sealed); any other record is encoded here.
 */
export function recordLine(record: AuditRecord): string {
  return sealedLines.get(record) ?? canonicalJson(record);
}

/**
 * Leaves out members whose value is undefined, as the stored JSON does, so the record append()
 * returns deep-equals the one read back. Copies rather than deletes: an object that had members
 * deleted turns into a slow dictionary for every later read (the encoding, the store, the answer).
 */
function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(o)) {
    const value = (o as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as T;
}

function text<T extends string | undefined>(s: T): T {
  return (s === undefined ? s : recordText(s)) as T;
}

function copyActor(a: AuditActor): AuditActor {
  return compact({ method: text(a.method), identity: text(a.identity), node: text(a.node), sourceIp: text(a.sourceIp), userAgent: text(a.userAgent) });
}

function copyRequest(r: AuditRequest): AuditRequest {
  return compact({
    file: text(r.file),
    profile: text(r.profile),
    csrSha256: text(r.csrSha256),
    publicKeySha256: text(r.publicKeySha256),
    keyAlgorithm: text(r.keyAlgorithm),
    subject: text(r.subject),
    dnsNames: r.dnsNames.map(text),
    ipAddresses: r.ipAddresses.map(text),
  });
}

function copyResult(r: AuditResult): AuditResult {
  return compact({
    serial: text(r.serial),
    issuer: text(r.issuer),
    notBefore: text(r.notBefore),
    notAfter: text(r.notAfter),
    certificateSha256: text(r.certificateSha256),
  });
}

function copyRotation(r: AuditRotation): AuditRotation {
  return compact({ ca: text(r.ca), action: text(r.action), from: text(r.from), to: text(r.to), current: text(r.current), next: text(r.next), version: r.version, forced: r.forced });
}

function copyTrust(t: AuditTrustReportCa): AuditTrustReportCa {
  return {
    name: text(t.name),
    trusted: t.trusted.map(text),
    leaves: t.leaves.map((l) => ({ file: text(l.file), issuer: text(l.issuer), serial: text(l.serial), notAfter: text(l.notAfter) })),
  };
}

function copyViolation(v: Violation): Violation {
  return { field: text(v.field), rule: text(v.rule), message: text(v.message) };
}

/**
 * Reads one stored record (a parsed JSON line or DynamoDB item). Returns a reason when the value cannot
 * be a record at all; it does not check the hash (verify does).
 */
export function asStoredRecord(value: unknown): AuditRecord | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
  const r = value as Record<string, unknown>;
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1) return "seq is not a positive integer";
  if (typeof r.hash !== "string" || !/^[0-9a-f]{64}$/.test(r.hash)) return "hash is not 64 hex digits";
  if (typeof r.prevHash !== "string" || !/^[0-9a-f]{64}$/.test(r.prevHash)) return "prevHash is not 64 hex digits";
  if (typeof r.time !== "string" || !RECORD_TIME.test(r.time)) return "time is not an ISO-8601 UTC time as toISOString writes it";
  if (typeof r.id !== "string") return "id is missing";
  if (typeof r.event !== "string") return "event is missing";
  if (typeof r.actor !== "object" || r.actor === null) return "actor is missing";
  return value as AuditRecord;
}
