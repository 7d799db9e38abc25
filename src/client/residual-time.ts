// Time formats of `kubeadm certs check-expiration`, so the two tables read the same.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

/** Go layout "Jan 02, 2006 15:04 MST" in UTC: `Dec 30, 2020 23:36 UTC`. */
export function formatExpires(date: Date): string {
  return `${MONTHS[date.getUTCMonth()]} ${two(date.getUTCDate())}, ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())} UTC`;
}

/**
 * The short human duration kubeadm prints as RESIDUAL TIME: the largest whole unit of s, m, h, d (under a
 * year) or y; `<invalid>` once expired (two seconds of clock tolerance, like kubectl).
 */
export function formatResidual(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}
