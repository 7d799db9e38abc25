// ipFamily skips node:net's IPv6 expression for text without ":" (a cold-start cost); it must answer
// exactly as isIP does, on addresses of every shape, on near misses and on seeded random strings.
import assert from "node:assert/strict";
import { isIP } from "node:net";
import { describe, it } from "node:test";
import { ipFamily } from "../../src/config/ip-family.js";
import { seededRandom } from "../support/seeded-random.js";

const CASES = [
  "10.0.0.1", "0.0.0.0", "255.255.255.255", "256.0.0.1", "010.0.0.1", "10.1", "10.0.0.1.", "1.2.3.4/8",
  "::", "::1", "fe80::1", "fe80::1%eth0", "fd00:10::", "2001:db8::8a2e:370:7334", "::ffff:10.0.0.1", "::ffff:10.0.0",
  "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2::3", "[::1]", "::1:", ":", "",
  "kubernetes", "kubernetes.default.svc.cluster.local", "*.example.com", "cp1:6443", "a:b", "abcd", "ffff",
];


describe("ipFamily", () => {
  it("answers as node:net's isIP on addresses, near misses and names", () => {
    for (const text of CASES) assert.equal(ipFamily(text), isIP(text), text);
    assert.deepEqual(
      CASES.filter((t) => ipFamily(t) !== 0),
      ["10.0.0.1", "0.0.0.0", "255.255.255.255", "::", "::1", "fe80::1", "fe80::1%eth0", "fd00:10::", "2001:db8::8a2e:370:7334", "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8"],
    );
  });

  it("answers as isIP on 20,000 seeded strings made of address pieces", () => {
    const next = seededRandom(0x69706661);
    const pieces = ["0", "1", "10", "255", "256", "010", "ff", "fe80", "FFFF", "db8", "", "%1", "x", "a.b"];
    const separators = [".", ".", ":", "::"];
    const families = { 0: 0, 4: 0, 6: 0 };
    for (let i = 0; i < 20_000; i++) {
      const count = 1 + (next() % 9);
      let text = pieces[next() % pieces.length]!;
      for (let j = 1; j < count; j++) text += separators[next() % separators.length]! + pieces[next() % pieces.length]!;
      const family = ipFamily(text);
      assert.equal(family, isIP(text), text);
      families[family]++;
    }
    // The draw reaches both families, not only refusals (fixed by the seed).
    assert.ok(families[4] > 0 && families[6] > 0, JSON.stringify(families));
  });
});
