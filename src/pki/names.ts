// DNS name and IP address normalisation, shared by the CSR reader and policy so both compare the same
// text. An IPv4-mapped IPv6 address is a different SAN from the IPv4 address: it is never collapsed.
import { isIPv4, isIPv6 } from "node:net";

/** Lowercase, without one trailing dot: the form DNS SANs are compared in. */
export function normalizeDnsName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** True for a name whose first label is `*` (e.g. `*.example.com`). */
export function isWildcard(name: string): boolean {
  return name === "*" || name.startsWith("*.");
}

/**
 * Canonical text of an IP address given as text or as SAN bytes: dotted quad for IPv4, RFC 5952 for
 * IPv6, `::ffff:a.b.c.d` for IPv4-mapped IPv6. Undefined when the input is not an address (zone ids
 * such as `fe80::1%eth0` and IPv4 with leading zeros are not addresses here).
 */
export function canonicalIp(input: string | Uint8Array): string | undefined {
  const bytes = typeof input === "string" ? ipBytes(input) : input;
  if (bytes === undefined) return undefined;
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length === 16) return ipv6Text(bytes);
  return undefined;
}

/** The 4 or 16 bytes of an address in text form, or undefined. */
export function ipBytes(text: string): Uint8Array | undefined {
  if (isIPv4(text)) return new Uint8Array(text.split(".").map(Number));
  if (!isIPv6(text) || text.includes("%")) return undefined;
  return ipv6Bytes(text);
}

// `text` has passed isIPv6, so only the shapes it accepts need handling.
function ipv6Bytes(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let groups = text;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    tail = text.slice(lastColon + 1).split(".").map(Number);
    groups = text.slice(0, lastColon + 1) + "0:0"; // placeholder groups, overwritten below
  }
  const [head = "", rest] = groups.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = rest === undefined ? [] : rest === "" ? [] : rest.split(":");
  const all = [...left, ...new Array<string>(8 - left.length - right.length).fill("0"), ...right];
  all.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

function ipv6Text(b: Uint8Array): string {
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (mapped) return `::ffff:${Array.from(b.subarray(12)).join(".")}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}
