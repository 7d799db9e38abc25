// The DER encodings kubeca builds: per certificate (version, serial, validity, SKI, SAN, outer
// sequences) and once at start (algorithm identifiers, constant extensions, a new CA's certificate).
// Children arrive already encoded; each element is written once into an array of its exact size. This
// replaced @oslojs/asn1's encodeASN1, which grew a buffer from one byte for every element and built
// intermediate arrays (~13 KiB of garbage per certificate, ~3 % of a request's CPU); a test holds every
// function here to the bytes encodeASN1 writes. Only what a certificate needs: one-byte identifiers
// (tag numbers below 31) and definite lengths up to 2^32-1.

const CONSTRUCTED = 0x20;
const CONTEXT_SPECIFIC = 0x80;
const ID = { boolean: 0x01, integer: 0x02, bitString: 0x03, octetString: 0x04, null: 0x05, oid: 0x06, utf8String: 0x0c, printableString: 0x13, utcTime: 0x17, generalizedTime: 0x18, sequence: 0x30, set: 0x31 } as const;

/** identifier, DER length (short form below 128, else 0x80|n and n big-endian bytes), contents. */
function element(identifier: number, parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const lengthBytes = length < 0x80 ? 0 : length < 0x100 ? 1 : length < 0x10000 ? 2 : length < 0x1000000 ? 3 : 4;
  const out = new Uint8Array(2 + lengthBytes + length);
  out[0] = identifier;
  if (lengthBytes === 0) out[1] = length;
  else {
    out[1] = 0x80 | lengthBytes;
    for (let i = 0; i < lengthBytes; i++) out[2 + i] = (length >>> (8 * (lengthBytes - 1 - i))) & 0xff;
  }
  let p = 2 + lengthBytes;
  for (const part of parts) {
    out.set(part, p);
    p += part.byteLength;
  }
  return out;
}

export function sequence(children: readonly Uint8Array[]): Uint8Array {
  return element(ID.sequence, children);
}

/** A SET of one or more already sorted encodings (a RelativeDistinguishedName of one attribute). */
export function set(children: readonly Uint8Array[]): Uint8Array {
  return element(ID.set, children);
}

/** `[tag] IMPLICIT` of a primitive value, given its contents (a key identifier, a dNSName). */
export function implicitPrimitive(tag: number, contents: Uint8Array): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 30) throw new RangeError(`context tag ${tag} needs more than one identifier byte`);
  return element(CONTEXT_SPECIFIC | tag, [contents]);
}

/** An OBJECT IDENTIFIER from its dotted form (start-time only: algorithm and extension OIDs). */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((arc) => {
    if (!/^\d+$/.test(arc)) throw new RangeError(`${dotted} is not a dotted OID`);
    return BigInt(arc);
  });
  if (arcs.length < 2 || arcs[0]! > 2n || (arcs[0]! < 2n && arcs[1]! > 39n)) throw new RangeError(`${dotted} is not a valid OID`);
  const bytes: number[] = [];
  const base128 = (value: bigint) => {
    const out = [Number(value & 0x7fn)];
    for (let v = value >> 7n; v > 0n; v >>= 7n) out.unshift(Number(v & 0x7fn) | 0x80);
    bytes.push(...out);
  };
  base128(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) base128(arc);
  return element(ID.oid, [Uint8Array.from(bytes)]);
}

export function nullValue(): Uint8Array {
  return element(ID.null, []);
}

const encoder = new TextEncoder();

export function printableString(text: string): Uint8Array {
  return element(ID.printableString, [encoder.encode(text)]);
}

export function utf8String(text: string): Uint8Array {
  return element(ID.utf8String, [encoder.encode(text)]);
}

/** A NamedBitList BIT STRING (KeyUsage): bit n of `flags` is bit n of the string, trailing zero bits left out (X.690 §11.2.2). */
export function namedBits(flags: number): Uint8Array {
  const length = flags === 0 ? 0 : 32 - Math.clz32(flags);
  const bytes = new Uint8Array(Math.ceil(length / 8));
  for (let n = 0; n < length; n++) if (flags & (1 << n)) bytes[n >> 3]! |= 0x80 >> (n & 7);
  return element(ID.bitString, [Uint8Array.of((8 - (length % 8)) % 8), bytes]);
}

/** `[tag] EXPLICIT` wrapper. */
export function explicit(tag: number, child: Uint8Array): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 30) throw new RangeError(`context tag ${tag} needs more than one identifier byte`);
  return element(CONTEXT_SPECIFIC | CONSTRUCTED | tag, [child]);
}

/** A non-negative INTEGER: big-endian, minimal, with a zero byte when the top bit is set. */
export function integer(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError("only non-negative INTEGERs are written here");
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return element(ID.integer, [Buffer.from(hex, "hex")]);
}

export function octetString(bytes: Uint8Array): Uint8Array {
  return element(ID.octetString, [bytes]);
}

const NO_UNUSED_BITS = new Uint8Array([0]);

/** A BIT STRING of whole bytes (signatures). */
export function bitString(bytes: Uint8Array): Uint8Array {
  return element(ID.bitString, [NO_UNUSED_BITS, bytes]);
}

export function boolean(value: boolean): Uint8Array {
  return element(ID.boolean, [new Uint8Array([value ? 0xff : 0x00])]);
}

const two = (n: number) => String(n).padStart(2, "0");

/** RFC 5280 §4.1.2.5: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds, Z. */
export function time(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return element(ID.utcTime, [Buffer.from(`${two(y % 100)}${rest}`, "latin1")]);
  if (y < 0 || y > 9999) throw new RangeError(`year ${y} has no GeneralizedTime form`);
  return element(ID.generalizedTime, [Buffer.from(`${String(y).padStart(4, "0")}${rest}`, "latin1")]);
}
