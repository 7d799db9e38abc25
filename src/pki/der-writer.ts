// The few DER encodings built per certificate (version, serial, validity, SKI, SAN, outer sequences).
// Children arrive already encoded; @oslojs/asn1 writes every identifier and length, so no code here
// writes tag or length bytes itself.
import {
  ASN1BitString,
  ASN1Boolean,
  ASN1Class,
  ASN1Form,
  ASN1GeneralizedTime,
  ASN1Integer,
  ASN1OctetString,
  ASN1UTCTime,
  encodeASN1,
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

const SEQUENCE_TAG = 16;

export function sequence(children: readonly Uint8Array[]): Uint8Array {
  return encodeASN1(new Constructed(ASN1Class.Universal, SEQUENCE_TAG, children));
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
