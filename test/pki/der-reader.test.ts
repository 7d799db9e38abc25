// readElement reads identifiers and lengths itself (no copy of the contents); @oslojs/asn1's parser,
// which it replaced on the walk, is the reference: on real and mutated DER, whatever readElement
// accepts the parser accepts with the same class, form, tag, contents and size, and whatever the
// parser refuses readElement refuses.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ASN1Form, parseASN1 } from "@oslojs/asn1";
import { DerError, readElement } from "../../src/pki/der-reader.js";
import { seededRandom } from "../support/seeded-random.js";
import { buildCsr, withCommonName, withDnsNames, withKey } from "../support/csr-builder.js";

// Seeded, not the CSPRNG: the mix of accepted and refused inputs is the same on every run, so the
// count check below cannot fail by chance (it once did, with exactly 100 accepted).
function seeded(seed: number) {
  const next = seededRandom(seed);
  const byte = () => next() & 0xff;
  return { byte, bytes: (n: number) => Uint8Array.from({ length: n }, byte) };
}

function reference(bytes: Uint8Array) {
  try {
    return parseASN1(bytes);
  } catch {
    return undefined;
  }
}

function check(bytes: Uint8Array): "accepted" | "refused" {
  let el;
  try {
    el = readElement(bytes, 0, bytes.length, "x");
  } catch (e) {
    assert.ok(e instanceof DerError, String(e));
    return "refused";
  }
  const ref = reference(bytes);
  assert.ok(ref, `readElement accepted what the parser refuses: ${Buffer.from(bytes).toString("hex").slice(0, 40)}`);
  const [value, size] = ref;
  assert.deepEqual([el.cls, el.constructed, el.tag, el.end], [value.class, value.form === ASN1Form.Constructed, value.tag, size]);
  assert.deepEqual(bytes.subarray(el.contentStart, el.end), value.contents());
  return "accepted";
}

describe("DER element reader", () => {
  it("agrees with @oslojs/asn1 on real CSRs, their prefixes and mutated headers", () => {
    const csr = buildCsr(withKey("RSA-2048"), withCommonName("kube-apiserver"), withDnsNames("kubernetes", "kubernetes.default")).der;
    const seen = { accepted: 0, refused: 0 };
    const random = seeded(0x6b756265);
    for (let n = 0; n <= csr.length; n += 7) seen[check(csr.subarray(0, n))]++;
    seen[check(csr)]++;
    for (let i = 0; i < 3000; i++) {
      const bytes = new Uint8Array(csr.subarray(0, 2 + (i % 64)));
      bytes[1 + (i % 6)] = random.byte(); // header and first length bytes
      bytes[0] = i % 3 === 0 ? bytes[0]! : random.byte() & 0xfe;
      seen[check(bytes)]++;
    }
    for (let i = 0; i < 2000; i++) seen[check(random.bytes(1 + (i % 12)))]++;
    assert.ok(seen.accepted > 100 && seen.refused > 100, JSON.stringify(seen));
  });
});
