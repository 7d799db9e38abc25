// Hand-written DER for the few tests that need bytes no encoder will produce: a high-tag-number
// identifier, a request info with an extra field. Everything else comes from csr-builder's typed classes,
// whose serializer re-encodes such bytes into canonical DER.
import { encodeObjectIdentifier } from "@oslojs/asn1";

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** Identifier bytes exactly as given (one byte, or several for the high-tag-number form), then a minimal length. */
export function tlv(identifier: number | readonly number[], ...content: readonly Uint8Array[]): Uint8Array {
  const body = concat(...content);
  const id = typeof identifier === "number" ? [identifier] : [...identifier];
  return concat(new Uint8Array([...id, ...lengthBytes(body.length)]), body);
}

export const sequence = (...children: readonly Uint8Array[]): Uint8Array => tlv(0x30, ...children);
export const set = (...children: readonly Uint8Array[]): Uint8Array => tlv(0x31, ...children);
export const integer = (...bytes: number[]): Uint8Array => tlv(0x02, new Uint8Array(bytes));
export const oid = (dotted: string): Uint8Array => tlv(0x06, encodeObjectIdentifier(dotted));
export const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "latin1"));
