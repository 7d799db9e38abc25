// The DER writer against @oslojs/asn1's encodeASN1 (which it replaced on the issuance path): the same
// bytes for every function, across the length forms (short, one to three length bytes), the INTEGER
// sign-padding boundary, every EXPLICIT tag and both time types.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
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
import { bitString, boolean, explicit, implicitPrimitive, integer, namedBits, nullValue, octetString, oid, printableString, sequence, set, time, utf8String } from "../../src/pki/der-writer.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const LENGTHS = [0, 1, 2, 126, 127, 128, 129, 255, 256, 257, 1000, 65535, 65536, 70000];

function constructed(cls: ASN1Class, tag: number, children: Uint8Array[]): ASN1Encodable {
  return { class: cls, form: ASN1Form.Constructed, tag, contents: () => new Uint8Array(Buffer.concat(children)) };
}

describe("DER writer", () => {
  it("SEQUENCE and EXPLICIT: the same bytes as encodeASN1 for every length form", () => {
    for (const n of LENGTHS) {
      const children = [new Uint8Array(randomBytes(Math.floor(n / 2))), new Uint8Array(randomBytes(n - Math.floor(n / 2)))];
      assert.equal(hex(sequence(children)), hex(encodeASN1(constructed(ASN1Class.Universal, 16, children))), `sequence of ${n} bytes`);
      for (const tag of [0, 3, 30]) {
        assert.equal(hex(explicit(tag, children[0]!)), hex(encodeASN1(constructed(ASN1Class.ContextSpecific, tag, [children[0]!]))), `[${tag}] of ${children[0]!.length}`);
      }
    }
    assert.equal(hex(sequence([])), "3000");
    assert.throws(() => explicit(31, new Uint8Array(1)), RangeError);
  });

  it("INTEGER: minimal, sign-padded, as encodeASN1 writes non-negative values", () => {
    const values = [0n, 1n, 2n, 127n, 128n, 255n, 256n, 32767n, 32768n, 65535n, 65536n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 127n, 2n ** 159n - 1n];
    for (let i = 0; i < 200; i++) values.push(BigInt(`0x${randomBytes(1 + (i % 20)).toString("hex")}`));
    for (const v of values) assert.equal(hex(integer(v)), hex(encodeASN1(new ASN1Integer(v))), `integer ${v}`);
    assert.throws(() => integer(-1n), RangeError);
  });

  it("OCTET STRING, BIT STRING (whole bytes) and BOOLEAN", () => {
    for (const n of LENGTHS) {
      const bytes = new Uint8Array(randomBytes(n));
      assert.equal(hex(octetString(bytes)), hex(encodeASN1(new ASN1OctetString(bytes))), `octet string of ${n}`);
      assert.equal(hex(bitString(bytes)), hex(encodeASN1(new ASN1BitString(bytes, n * 8))), `bit string of ${n}`);
    }
    assert.equal(hex(boolean(true)), hex(encodeASN1(new ASN1Boolean(true))));
    assert.equal(hex(boolean(false)), hex(encodeASN1(new ASN1Boolean(false))));
  });

  it("times: UTCTime from 1950 to 2049, GeneralizedTime outside, whole seconds", () => {
    const dates = ["1950-01-01T00:00:00Z", "1949-12-31T23:59:59Z", "2026-03-01T10:05:09Z", "2049-12-31T23:59:59Z", "2050-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-02-03T04:05:06Z"].map((d) => new Date(d));
    for (let i = 0; i < 100; i++) dates.push(new Date(Math.floor(Math.random() * 253402300799) * 1000));
    for (const d of dates) {
      const y = d.getUTCFullYear();
      const args = [d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()] as const;
      const expected = y >= 1950 && y < 2050 ? new ASN1UTCTime(y % 100, ...args) : new ASN1GeneralizedTime(y, ...args, 0);
      assert.equal(hex(time(d)), hex(encodeASN1(expected)), d.toISOString());
    }
  });

  it("start-time encodings: SET, IMPLICIT, OID, NULL, strings and named bits as encodeASN1 writes them", () => {
    for (const n of LENGTHS) {
      const children = [new Uint8Array(randomBytes(n))];
      assert.equal(hex(set(children)), hex(encodeASN1(constructed(ASN1Class.Universal, 17, children))), `set of ${n}`);
      const primitive = { class: ASN1Class.ContextSpecific, form: ASN1Form.Primitive, tag: 2, contents: () => children[0]! };
      assert.equal(hex(implicitPrimitive(2, children[0]!)), hex(encodeASN1(primitive)), `[2] IMPLICIT of ${n}`);
      const text = "k".repeat(n);
      assert.equal(hex(printableString(text)), hex(encodeASN1(new ASN1PrintableString(new TextEncoder().encode(text)))), `printable of ${n}`);
    }
    for (const text of ["", "kubernetes", "système:nœud", "节点-1"]) {
      assert.equal(hex(utf8String(text)), hex(encodeASN1(new ASN1UTF8String(new TextEncoder().encode(text)))), text);
    }
    for (const dotted of ["1.2.840.113549.1.1.11", "1.2.840.10045.4.3.2", "2.5.29.17", "2.5.29.37", "1.3.6.1.5.5.7.3.1", "1.3.101.112", "2.999.1", "1.3.6.1.4.1.55555.1", "0.39", "1.2.840.113549.1.9.14"]) {
      assert.equal(hex(oid(dotted)), hex(encodeASN1(new ASN1ObjectIdentifier(encodeObjectIdentifier(dotted)))), dotted);
    }
    for (const bad of ["1", "3.1", "1.40", "1..2", "a.b"]) assert.throws(() => oid(bad), RangeError, bad);
    assert.equal(hex(nullValue()), hex(encodeASN1(new ASN1Null())));
    for (let flags = 0; flags < 512; flags++) {
      const length = flags === 0 ? 0 : 32 - Math.clz32(flags);
      const bytes = new Uint8Array(Math.ceil(length / 8));
      for (let n = 0; n < length; n++) if (flags & (1 << n)) bytes[n >> 3]! |= 0x80 >> (n & 7);
      assert.equal(hex(namedBits(flags)), hex(encodeASN1(new ASN1BitString(bytes, length))), `flags ${flags}`);
    }
    assert.throws(() => implicitPrimitive(31, new Uint8Array(1)), RangeError);
  });
});
