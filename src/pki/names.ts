// DNS name and IP address normalisation, shared by the CSR reader and policy so both compare the same
// text. An IPv4-mapped IPv6 address is a different SAN from the IPv4 address: it is never collapsed.
import { isIPv4 } from "node:net";
import { ipFamily } from "../config/ip-family.js";

/** Lowercase, without one trailing dot: the form DNS SANs are compared in. */
export function normalizeDnsName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/**
 * Why `name` is not a DNS name in RFC 5280's preferred name syntax (RFC 1034 §3.5 as relaxed by RFC 1123),
 * or undefined when it is one. Also allowed, as Go's verifier does: upper case, underscores, and `*` as the
 * whole first label. Refused: control bytes, spaces and other characters (a NUL hides a name from C
 * string comparisons), empty labels, and a trailing dot, which Go never matches against a host name.
 */
export function dnsNameProblem(name: string): string | undefined {
  if (name === "") return "it is empty";
  const bad = /[^A-Za-z0-9._*-]/.exec(name)?.[0];
  if (bad !== undefined) return `it contains ${describeCharacter(bad)}`;
  if (name.length > 253) return "it is longer than 253 characters";
  if (name.endsWith(".")) return "it ends with a dot, and TLS clients match no host name against a SAN written so";
  const labels = name.split(".");
  for (const [i, label] of labels.entries()) {
    if (label === "") return "it has an empty label";
    if (label.includes("*")) {
      if (label === "*" && i === 0 && labels.length > 1) continue;
      return "a wildcard is allowed only as the whole first label, as in *.example.com";
    }
    if (label.length > 63) return `label ${JSON.stringify(label)} is longer than 63 characters`;
    if (label.startsWith("-") || label.endsWith("-")) return `label ${JSON.stringify(label)} starts or ends with a hyphen`;
  }
  return undefined;
}

function describeCharacter(c: string): string {
  const code = c.charCodeAt(0);
  if (code === 0) return "a NUL byte";
  if (c === " ") return "a space";
  if (code < 0x20 || code === 0x7f) return `the control character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return `${JSON.stringify(c)}; a DNS name has letters, digits, hyphens, underscores and dots`;
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
  if (ipFamily(text) !== 6 || text.includes("%")) return undefined;
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
