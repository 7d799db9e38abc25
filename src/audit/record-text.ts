// What every string becomes before it is sealed into a record: well-formed Unicode, so every
// conforming JSON reader in every language reads the same text and hashes the same UTF-8 bytes, and
// bounded, so no caller can make one record arbitrarily large.
//
//   - a lone UTF-16 surrogate (JavaScript strings can hold one; UTF-8 cannot) becomes U+FFFD. The
//     request that carried it is refused before the log (server/sign-body.ts) and its violation
//     names each surrogate in ASCII, so nothing is lost that the record does not say;
//   - a string longer than MAX_RECORD_TEXT UTF-16 code units keeps its first MAX_RECORD_TEXT (one
//     fewer rather than split a pair) followed by "…[N UTF-16 code units]", N its whole length.
// docs/audit.md states both rules for auditors.

/** Longest string a record holds unshortened. Kubeadm names, DNS names and messages are far shorter. */
export const MAX_RECORD_TEXT = 1024;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// String.prototype.isWellFormed and toWellFormed (ES2024, in every Node we support; the project's
// TypeScript lib is ES2023): native scans, several times cheaper than the regular expression on
// every string of every request and record. The expression stays for naming where each one is.
type Es2024String = { isWellFormed(): boolean; toWellFormed(): string };

/** Each lone surrogate in `s`: where it is (UTF-16 index) and its code unit as `\uXXXX`. */
export function loneSurrogates(s: string): { index: number; escaped: string }[] {
  if (isWellFormed(s)) return [];
  return [...s.matchAll(LONE_SURROGATE)].map((m) => ({ index: m.index, escaped: `\\u${m[0].charCodeAt(0).toString(16).padStart(4, "0")}` }));
}

export function isWellFormed(s: string): boolean {
  return (s as unknown as Es2024String).isWellFormed();
}

/** `s` as a record stores it: lone surrogates replaced by U+FFFD, then bounded. */
export function recordText(s: string): string {
  const text = (s as unknown as Es2024String).toWellFormed();
  if (text.length <= MAX_RECORD_TEXT) return text;
  const high = text.charCodeAt(MAX_RECORD_TEXT - 1);
  const cut = high >= 0xd800 && high <= 0xdbff ? MAX_RECORD_TEXT - 1 : MAX_RECORD_TEXT;
  return `${text.slice(0, cut)}…[${s.length} UTF-16 code units]`;
}
