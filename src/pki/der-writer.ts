// The DER encodings kubeca builds: per certificate (version, serial, validity, SKI, SAN, outer
// sequences) and once at start (algorithm identifiers, constant extensions, a new CA's certificate).
// Children arrive already encoded; @oslojs/asn1 writes every identifier and length, so no code here
// writes tag or length bytes itself.
import {
  ASN1BitString,
  ASN1Boolean,
  ASN1Class,
  ASN1Form,
  ASN1GeneralizedTime,
  ASN1Integer,
  ASN1Null,
  ASN1ObjectIdentifier,
  ASN1OctetString,
  ASN1PrintableString,
  ASN1UTCTime,
  ASN1UTF8String,
  encodeASN1,
  encodeObjectIdentifier,
  type ASN1Encodable,
} from "@oslojs/asn1";

/** A constructed element whose children are complete DER encodings, written once into its content. */
class Constructed implements ASN1Encodable {
  readonly form = ASN1Form.Constructed;
  readonly class: ASN1Class;
  readonly tag: number;
  private readonly children: readonly Uint8Array[];

  constructor(cls: ASN1Class, tag: number, children: readonly Uint8Array[]) {
    this.class = cls;
    this.tag = tag;
    this.children = children;
  }

  contents(): Uint8Array {
    let size = 0;
    for (const c of this.children) size += c.byteLength;
    const out = new Uint8Array(size);
    let p = 0;
    for (const c of this.children) {
      out.set(c, p);
      p += c.byteLength;
    }
    return out;
  }
}

/** A primitive element with given contents: `[tag] IMPLICIT` of a primitive type. */
class Primitive implements ASN1Encodable {
  readonly form = ASN1Form.Primitive;
  readonly class: ASN1Class;
  readonly tag: number;
  private readonly bytes: Uint8Array;

  constructor(cls: ASN1Class, tag: number, bytes: Uint8Array) {
    this.class = cls;
    this.tag = tag;
    this.bytes = bytes;
  }

  contents(): Uint8Array {
    return this.bytes;
  }
}

const SEQUENCE_TAG = 16;
const SET_TAG = 17;

export function sequence(children: readonly Uint8Array[]): Uint8Array {
  return encodeASN1(new Constructed(ASN1Class.Universal, SEQUENCE_TAG, children));
}

/** A SET of one or more already sorted encodings (a RelativeDistinguishedName of one attribute). */
export function set(children: readonly Uint8Array[]): Uint8Array {
  return encodeASN1(new Constructed(ASN1Class.Universal, SET_TAG, children));
}

/** `[tag] IMPLICIT` of a primitive value, given its contents (a key identifier, a dNSName). */
export function implicitPrimitive(tag: number, contents: Uint8Array): Uint8Array {
  return encodeASN1(new Primitive(ASN1Class.ContextSpecific, tag, contents));
}

export function oid(dotted: string): Uint8Array {
  return encodeASN1(new ASN1ObjectIdentifier(encodeObjectIdentifier(dotted)));
}

export function nullValue(): Uint8Array {
  return encodeASN1(new ASN1Null());
}

const encoder = new TextEncoder();

export function printableString(text: string): Uint8Array {
  return encodeASN1(new ASN1PrintableString(encoder.encode(text)));
}

export function utf8String(text: string): Uint8Array {
  return encodeASN1(new ASN1UTF8String(encoder.encode(text)));
}

/** A NamedBitList BIT STRING (KeyUsage): bit n of `flags` is bit n of the string, trailing zero bits left out (X.690 §11.2.2). */
export function namedBits(flags: number): Uint8Array {
  const length = flags === 0 ? 0 : 32 - Math.clz32(flags);
  const bytes = new Uint8Array(Math.ceil(length / 8));
  for (let n = 0; n < length; n++) if (flags & (1 << n)) bytes[n >> 3]! |= 0x80 >> (n & 7);
  return encodeASN1(new ASN1BitString(bytes, length));
}

/** `[tag] EXPLICIT` wrapper. */
export function explicit(tag: number, child: Uint8Array): Uint8Array {
  return encodeASN1(new Constructed(ASN1Class.ContextSpecific, tag, [child]));
}

export function integer(value: bigint): Uint8Array {
  return encodeASN1(new ASN1Integer(value));
}

export function octetString(bytes: Uint8Array): Uint8Array {
  return encodeASN1(new ASN1OctetString(bytes));
}

/** A BIT STRING of whole bytes (signatures). */
export function bitString(bytes: Uint8Array): Uint8Array {
  return encodeASN1(new ASN1BitString(bytes, bytes.byteLength * 8));
}

export function boolean(value: boolean): Uint8Array {
  return encodeASN1(new ASN1Boolean(value));
}

/** RFC 5280 §4.1.2.5: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds, Z. */
export function time(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  const args = [date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()] as const;
  if (y >= 1950 && y < 2050) return encodeASN1(new ASN1UTCTime(y % 100, ...args));
  return encodeASN1(new ASN1GeneralizedTime(y, ...args, 0));
}
