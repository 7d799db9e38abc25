// Decoding an X.501 Name (subject or issuer) into typed attributes, and its one-line text form.
// Only used to judge and display names; certificates embed the Name's original bytes.
import { ASN1Class } from "@oslojs/asn1";
import { childrenOf, contentOf, DerError, expectUniversal, readOid, TAG, type DerElement } from "./der-reader.js";
import { ATTRIBUTE_SHORT_NAMES } from "./oids.js";

export interface NameAttribute {
  readonly oid: string;
  /** Short name (`CN`, `OU`, ...) or the dotted OID. */
  readonly type: string;
  /** The decoded string, or `#` + hex of the whole value encoding when it is not a string (RFC 4514). */
  readonly value: string;
  readonly isString: boolean;
  /** The value's universal tag (12 UTF8String, 19 PrintableString, …) when it is a string, else -1. */
  readonly tag: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf16be = new TextDecoder("utf-16be", { fatal: true });

/** Attributes of a Name in order (multi-valued RDNs flattened). */
export function decodeName(buf: Uint8Array, name: DerElement, what: string): NameAttribute[] {
  expectUniversal(name, TAG.sequence, what);
  const out: NameAttribute[] = [];
  for (const rdn of childrenOf(buf, name, what)) {
    expectUniversal(rdn, TAG.set, `${what} RDN`);
    const atvs = childrenOf(buf, rdn, `${what} RDN`);
    if (atvs.length === 0) throw new DerError(`${what} has an empty RDN`);
    for (const atv of atvs) {
      expectUniversal(atv, TAG.sequence, `${what} attribute`);
      const parts = childrenOf(buf, atv, `${what} attribute`);
      const [typeEl, valueEl] = parts;
      if (parts.length !== 2 || !typeEl || !valueEl) throw new DerError(`${what} attribute should have a type and a value`);
      const oid = readOid(typeEl, `${what} attribute type`);
      const type = ATTRIBUTE_SHORT_NAMES[oid] ?? oid;
      const text = decodeDirectoryString(buf, valueEl, `${what} ${type}`);
      out.push(
        text === undefined
          ? { oid, type, value: `#${Buffer.from(buf.subarray(valueEl.start, valueEl.end)).toString("hex")}`, isString: false, tag: -1 }
          : { oid, type, value: text, isString: true, tag: valueEl.tag },
      );
    }
  }
  return out;
}

/** RFC 4514-style one line, in encoding order: `CN=kubernetes, O=system:nodes`. */
export function nameText(attrs: readonly NameAttribute[]): string {
  return attrs.map((a) => `${a.type}=${a.isString ? escapeValue(a.value) : a.value}`).join(", ");
}

function escapeValue(v: string): string {
  return v.replace(/[,+"\\<>;]/g, (c) => `\\${c}`).replace(/^[ #]|[ ]$/g, (c) => `\\${c}`);
}

/** Text of a string-typed value; undefined for non-string types. Throws on bytes invalid for the type. */
export function decodeDirectoryString(buf: Uint8Array, el: DerElement, what: string): string | undefined {
  if (el.cls !== ASN1Class.Universal || el.constructed) return undefined;
  const bytes = contentOf(buf, el);
  switch (el.tag) {
    case TAG.utf8String:
      try {
        return utf8.decode(bytes);
      } catch {
        throw new DerError(`${what} is not valid UTF-8`);
      }
    case 18: // NumericString
    case TAG.printableString:
    case TAG.ia5String:
    case 26: // VisibleString
      return ascii(bytes, what);
    case 20: // TeletexString: in practice Latin-1
      return Buffer.from(bytes).toString("latin1");
    case 30: // BMPString
      if (bytes.length % 2 !== 0) throw new DerError(`${what} is a BMPString of odd length`);
      try {
        return utf16be.decode(bytes);
      } catch {
        throw new DerError(`${what} is not valid UTF-16`);
      }
    case 28: // UniversalString
      return universalString(bytes, what);
    default:
      return undefined;
  }
}

/** An ASCII-only string type; any byte ≥ 0x80 is an encoding error, not text. */
export function ascii(bytes: Uint8Array, what: string): string {
  for (const b of bytes) if (b >= 0x80) throw new DerError(`${what} contains a non-ASCII byte`);
  return Buffer.from(bytes).toString("latin1");
}

function universalString(bytes: Uint8Array, what: string): string {
  if (bytes.length % 4 !== 0) throw new DerError(`${what} is a UniversalString whose length is not a multiple of 4`);
  let s = "";
  for (let i = 0; i < bytes.length; i += 4) {
    const cp = (((bytes[i] ?? 0) << 24) | ((bytes[i + 1] ?? 0) << 16) | ((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0)) >>> 0;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new DerError(`${what} holds an invalid code point`);
    s += String.fromCodePoint(cp);
  }
  return s;
}
