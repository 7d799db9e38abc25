// The two tables of `kubeadm certs check-expiration`, and its `-o json` document
// (output.kubeadm.k8s.io/v1alpha3 CertificateExpirationInfo, spec §2.5).
import type { AuthorityRow, CertificateRow, ExpirationStatus } from "./expiration-status.js";
import { formatExpires, formatResidual } from "./residual-time.js";

/** Columns padded like kubeadm's tabwriter (min width 10, padding 3); trailing blanks trimmed. */
function renderColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 10, cell.length + 3)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 10))).join("").trimEnd() + "\n").join("");
}

function leadCells(row: CertificateRow | AuthorityRow, now: Date): [string, string, string] {
  if (row.missing) return [`!MISSING! ${row.name}`, "", ""];
  if (row.unreadable !== undefined || row.notAfter === undefined) return [`!UNREADABLE! ${row.name}`, "", ""];
  return [row.name, formatExpires(row.notAfter), formatResidual(row.notAfter.getTime() - now.getTime())];
}

export function renderExpirationTables(status: ExpirationStatus): string {
  const yesNo = (b: boolean) => (b ? "yes" : "no");
  const certificates = renderColumns([
    ["CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY", "EXTERNALLY MANAGED"],
    ...status.certificates.map((r) => {
      const cells = leadCells(r, status.now);
      return r.missing || r.unreadable !== undefined ? [cells[0], "", "", "", ""] : [...cells, r.ca, yesNo(r.externallyManaged)];
    }),
  ]);
  const authorities = renderColumns([
    ["CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME", "EXTERNALLY MANAGED"],
    ...status.authorities.map((a) => {
      const cells = leadCells(a, status.now);
      return a.missing || a.unreadable !== undefined ? [cells[0], "", "", ""] : [...cells, yesNo(a.externallyManaged)];
    }),
  ]);
  const problems = [...status.certificates, ...status.authorities]
    .filter((r) => r.unreadable !== undefined)
    .map((r) => `error: ${r.unreadable}\n`)
    .join("");
  return `${certificates}\n${authorities}${problems ? "\n" + problems : ""}`;
}

export interface ExpirationInfo {
  readonly kind: "CertificateExpirationInfo";
  readonly apiVersion: "output.kubeadm.k8s.io/v1alpha3";
  readonly certificates: readonly ExpirationEntry[];
  readonly certificateAuthorities: readonly ExpirationEntry[];
}

interface ExpirationEntry {
  readonly name: string;
  /** RFC 3339; null when missing or unreadable. */
  readonly expirationDate: string | null;
  /** Nanoseconds, like Go's time.Duration in kubeadm's JSON. */
  readonly residualTime: number;
  readonly caName?: string;
  readonly externallyManaged: boolean;
  readonly missing?: boolean;
}

function entry(row: CertificateRow | AuthorityRow, now: Date, caName?: string): ExpirationEntry {
  const expires = row.notAfter;
  return {
    name: row.name,
    expirationDate: expires ? expires.toISOString().replace(/\.000Z$/, "Z") : null,
    residualTime: expires ? (expires.getTime() - now.getTime()) * 1_000_000 : 0,
    ...(caName ? { caName } : {}),
    externallyManaged: row.externallyManaged,
    ...(row.missing || row.unreadable !== undefined ? { missing: true } : {}),
  };
}

export function expirationInfo(status: ExpirationStatus): ExpirationInfo {
  return {
    kind: "CertificateExpirationInfo",
    apiVersion: "output.kubeadm.k8s.io/v1alpha3",
    certificates: status.certificates.map((r) => entry(r, status.now, r.ca)),
    certificateAuthorities: status.authorities.map((a) => entry(a, status.now)),
  };
}
