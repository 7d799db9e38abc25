// Export formats for auditors. jsonl: each record's canonical JSON, exactly what its hash covers, so
// an export can be verified on its own. csv: RFC 4180 with a fixed column list (below), CRLF line
// ends, every cell quoted when it holds a comma, quote or line break.
import { canonicalJson } from "./canonical-json.js";
import type { AuditRecord } from "./types.js";

export type ExportFormat = "jsonl" | "csv";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["jsonl", "csv"];

const list = (items: readonly string[] | undefined) => (items ?? []).join(";");

/** The CSV columns, in order. Lists are joined with ";"; violations as "field rule: message" joined with " | ". */
export const CSV_COLUMNS: readonly (readonly [string, (r: AuditRecord) => string | number | undefined])[] = [
  ["seq", (r) => r.seq],
  ["time", (r) => r.time],
  ["id", (r) => r.id],
  ["event", (r) => r.event],
  ["request_id", (r) => r.requestId],
  ["actor_method", (r) => r.actor.method],
  ["actor_identity", (r) => r.actor.identity],
  ["actor_node", (r) => r.actor.node],
  ["source_ip", (r) => r.actor.sourceIp],
  ["user_agent", (r) => r.actor.userAgent],
  ["file", (r) => r.request?.file],
  ["profile", (r) => r.request?.profile],
  ["subject", (r) => r.request?.subject],
  ["dns_names", (r) => list(r.request?.dnsNames)],
  ["ip_addresses", (r) => list(r.request?.ipAddresses)],
  ["key_algorithm", (r) => r.request?.keyAlgorithm],
  ["csr_sha256", (r) => r.request?.csrSha256],
  ["public_key_sha256", (r) => r.request?.publicKeySha256],
  ["serial", (r) => r.result?.serial],
  ["issuer", (r) => r.result?.issuer],
  ["not_before", (r) => r.result?.notBefore],
  ["not_after", (r) => r.result?.notAfter],
  ["certificate_sha256", (r) => r.result?.certificateSha256],
  ["violations", (r) => (r.violations ?? []).map((v) => `${v.field} ${v.rule}: ${v.message}`).join(" | ")],
  ["message", (r) => r.message],
  ["prev_hash", (r) => r.prevHash],
  ["hash", (r) => r.hash],
];

/**
 * One CSV cell. A cell starting with = + - @ or a tab would run as a formula in a spreadsheet, and the
 * subject or names of a refused CSR are attacker-chosen: such cells get a leading apostrophe
 * (the OWASP advice). The jsonl export is always exact.
 */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = "'" + text;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return CSV_COLUMNS.map(([name]) => name).join(",") + "\r\n";
}

export function formatRecord(record: AuditRecord, format: ExportFormat): string {
  return format === "jsonl" ? canonicalJson(record) + "\n" : CSV_COLUMNS.map(([, get]) => csvCell(get(record))).join(",") + "\r\n";
}
