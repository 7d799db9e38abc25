// Lazy DER reading. Elements are located by offsets into the caller's bytes, so the CSR reader can hand
// out subarrays (subject, SPKI, SAN) that the certificate embeds unchanged, and nothing is decoded (or
// copied) that nobody asks for; @oslojs/asn1 decodes INTEGER and BOOLEAN values. Its parser copied each
// element's contents at every level of the walk (~15 KiB of garbage per CSR), so identifiers and
// lengths are read here.
import { ASN1Class, parseASN1, type ASN1Value } from "@oslojs/asn1";

/** Universal tag numbers pki/ checks for. */
export const TAG = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  printableString: 19,
  ia5String: 22,
  utcTime: 23,
  generalizedTime: 24,
} as const;

/** Structural problem in DER input; callers turn it into a KubecaError with their own code. */
export class DerError extends Error {
  override readonly name = "DerError";
}

/**
 * One element, located by offsets into the buffer it was read from. Its identifier and length are
 * read here; `value` (the element as @oslojs/asn1 parses it, a copy of its contents) only when a
 * caller decodes an INTEGER or BOOLEAN, so walking a CSR copies nothing.
 */
export class DerElement {
  constructor(
    /** The buffer the offsets are into. */
    readonly buf: Uint8Array,
    readonly cls: ASN1Class,
    readonly constructed: boolean,
    readonly tag: number,
    /** Offset of the identifier byte. */
    readonly start: number,
    readonly contentStart: number,
    /** Offset just past the element. */
    readonly end: number,
  ) {}

  get value(): ASN1Value {
    return parseASN1(this.buf.subarray(this.start, this.end))[0];
  }
}

const CLASSES = [ASN1Class.Universal, ASN1Class.Application, ASN1Class.ContextSpecific, ASN1Class.Private] as const;

/**
 * Reads one element at `offset`, which must end at or before `limit`. `what` names it in errors.
 * Refuses what @oslojs/asn1's parser refuses (a truncated header, length or contents; the indefinite
 * length), then what DER forbids on top (the high-tag form for low tags, non-minimal lengths). Lengths
 * past 2^32-1 are refused as truncated: no CSR comes near.
 */
export function readElement(buf: Uint8Array, offset: number, limit: number, what: string): DerElement {
  if (offset >= limit) throw new DerError(`${what} is missing`);
  const identifier = buf[offset] ?? 0;
  if ((identifier & 0x1f) === 0x1f) throw new DerError(highTagProblem(buf, offset, limit, what));
  if (offset + 1 >= limit) throw truncated(what, offset);
  const first = buf[offset + 1] ?? 0;
  let contentStart = offset + 2;
  let length = first;
  if (first >= 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4 || contentStart + count > limit) throw truncated(what, offset);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[contentStart + i] ?? 0);
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw truncated(what, offset);
  assertMinimalLength(buf, offset, contentStart, length, what);
  return new DerElement(buf, CLASSES[identifier >> 6]!, (identifier & 0x20) !== 0, identifier & 0x1f, offset, contentStart, end);
}

// Not a closure in readElement: the build's keepNames would name every one it made (a defineProperty
// per element read, 2 % of a request).
function truncated(what: string, offset: number): DerError {
  return new DerError(`${what} is truncated or not DER (at byte ${offset})`);
}

// The high-tag-number form (identifier 0x1f, then the tag in base 128) is DER only for tags 31 and up,
// and no CSR or certificate field has one. Tags below 31 written so are BER: another parser may refuse or
// misread bytes kubeca would embed unchanged. Refused before @oslojs/asn1 copies the rest of the input.
function highTagProblem(buf: Uint8Array, offset: number, limit: number, what: string): string {
  let tag = 0;
  for (let p = offset + 1; p < limit && p < offset + 4; p++) {
    const b = buf[p] ?? 0;
    tag = tag * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      return tag < 31
        ? `${what} writes tag ${tag} in the high-tag-number form (BER, not DER) at byte ${offset}`
        : `${what} has tag number ${tag}, which no CSR field uses, at byte ${offset}`;
    }
  }
  return `${what} has a truncated or oversized high tag number at byte ${offset}`;
}

// DER allows exactly one length encoding; BER's alternatives would reach the certificate unchanged.
function assertMinimalLength(buf: Uint8Array, start: number, contentStart: number, length: number, what: string): void {
  const p = start + 1; // first length byte: identifiers are one byte (see highTagProblem)
  let minimal = 1;
  if (length >= 0x80) for (let l = length; l > 0; l = Math.floor(l / 256)) minimal++;
  if (contentStart - p !== minimal) {
    throw new DerError(`${what} uses a non-minimal length encoding (BER, not DER) at byte ${start}`);
  }
}

/** The elements inside a constructed element, in order. */
export function childrenOf(buf: Uint8Array, parent: DerElement, what: string): DerElement[] {
  const out: DerElement[] = [];
  let p = parent.contentStart;
  while (p < parent.end) {
    const child = readElement(buf, p, parent.end, `${what} item ${out.length + 1}`);
    out.push(child);
    p = child.end;
  }
  return out;
}

export function isUniversal(el: DerElement, tag: number): boolean {
  return el.cls === ASN1Class.Universal && el.tag === tag;
}

export function isContext(el: DerElement, tag: number): boolean {
  return el.cls === ASN1Class.ContextSpecific && el.tag === tag;
}

/** Throws unless `el` is the universal type `tag`, constructed for SEQUENCE/SET, primitive otherwise. */
export function expectUniversal(el: DerElement, tag: number, what: string): DerElement {
  const wantConstructed = tag === TAG.sequence || tag === TAG.set;
  if (!isUniversal(el, tag) || el.constructed !== wantConstructed) {
    throw new DerError(`${what} should be ${universalName(tag)} but is ${describeTag(el)}`);
  }
  return el;
}

export function contentOf(buf: Uint8Array, el: DerElement): Uint8Array {
  return buf.subarray(el.contentStart, el.end);
}

/** Dotted text of an OBJECT IDENTIFIER element. */
export function readOid(el: DerElement, what: string): string {
  if (!isUniversal(el, TAG.oid)) throw new DerError(`${what} should be an OBJECT IDENTIFIER but is ${describeTag(el)}`);
  return oidText(el.buf.subarray(el.contentStart, el.end), what);
}

export function oidText(bytes: Uint8Array, what: string): string {
  const arcs: number[] = [];
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (acc === 0 && b === 0x80) throw new DerError(`${what} has a non-minimal OID arc`);
    acc = acc * 128 + (b & 0x7f);
    if (acc > Number.MAX_SAFE_INTEGER) throw new DerError(`${what} has an OID arc that is too large`);
    if ((b & 0x80) === 0) {
      arcs.push(acc);
      acc = 0;
    } else if (i === bytes.length - 1) {
      throw new DerError(`${what} is a truncated OID`);
    }
  }
  if (arcs.length === 0) throw new DerError(`${what} is an empty OID`);
  const first = arcs[0] ?? 0;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join(".");
}

/** The bytes of a BIT STRING whose bit count is a multiple of 8 (keys, signatures). */
export function readWholeBitString(buf: Uint8Array, el: DerElement, what: string): Uint8Array {
  expectUniversal(el, TAG.bitString, what);
  if (el.end - el.contentStart < 1 || buf[el.contentStart] !== 0) {
    throw new DerError(`${what} must be a whole number of bytes`);
  }
  return buf.subarray(el.contentStart + 1, el.end);
}

export function readSmallInteger(el: DerElement, what: string): number {
  expectUniversal(el, TAG.integer, what);
  let v: bigint;
  try {
    v = el.value.integer().value;
  } catch {
    throw new DerError(`${what} is not a valid INTEGER`);
  }
  if (v < -1_000_000n || v > 1_000_000n) throw new DerError(`${what} is out of range`);
  return Number(v);
}

export function readBoolean(el: DerElement, what: string): boolean {
  expectUniversal(el, TAG.boolean, what);
  try {
    return el.value.boolean().value;
  } catch {
    throw new DerError(`${what} is not a DER BOOLEAN (must be 0x00 or 0xff)`);
  }
}

const UNIVERSAL_NAMES: Readonly<Record<number, string>> = {
  1: "BOOLEAN",
  2: "INTEGER",
  3: "BIT STRING",
  4: "OCTET STRING",
  5: "NULL",
  6: "OBJECT IDENTIFIER",
  12: "UTF8String",
  16: "SEQUENCE",
  17: "SET",
  19: "PrintableString",
  22: "IA5String",
  23: "UTCTime",
  24: "GeneralizedTime",
};

function universalName(tag: number): string {
  return UNIVERSAL_NAMES[tag] ?? `universal tag ${tag}`;
}

export function describeTag(el: DerElement): string {
  if (el.cls === ASN1Class.Universal) return `a ${universalName(el.tag)}`;
  const cls = el.cls === ASN1Class.ContextSpecific ? "context" : el.cls === ASN1Class.Application ? "application" : "private";
  return `[${cls} ${el.tag}]`;
}
