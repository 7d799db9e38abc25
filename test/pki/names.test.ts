import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { canonicalIp, isWildcard, normalizeDnsName } from "../../src/pki/index.js";

describe("normalizeDnsName", () => {
  test("lowercases and drops one trailing dot", () => {
    assert.equal(normalizeDnsName("CP-1.Example.Internal."), "cp-1.example.internal");
    assert.equal(normalizeDnsName("kubernetes"), "kubernetes");
  });
});

describe("isWildcard", () => {
  test("is true only when the first label is *", () => {
    assert.equal(isWildcard("*.example.com"), true);
    assert.equal(isWildcard("*"), true);
    assert.equal(isWildcard("a*.example.com"), false);
    assert.equal(isWildcard("example.*"), false);
  });
});

describe("canonicalIp", () => {
  const cases: [string, string | undefined][] = [
    ["10.0.0.10", "10.0.0.10"],
    ["::ffff:10.0.0.10", "::ffff:10.0.0.10"],
    ["::ffff:a00:a", "::ffff:10.0.0.10"],
    ["::10.0.0.1", "::a00:1"], // IPv4-compatible, not mapped: stays hex
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // first of two equal runs
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // one zero group is not compressed
    ["2001:0db8::0:1", "2001:db8::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["fe80::1%eth0", undefined],
    ["010.0.0.1", undefined],
    ["1.2.3", undefined],
    ["cp-1", undefined],
  ];
  for (const [input, expected] of cases) {
    test(`text ${input} → ${expected ?? "not an address"}`, () => {
      assert.equal(canonicalIp(input), expected);
    });
  }

  test("an IPv4-mapped IPv6 address is never equal to its IPv4 address", () => {
    assert.notEqual(canonicalIp("::ffff:10.0.0.10"), canonicalIp("10.0.0.10"));
  });

  test("SAN bytes: 4 bytes are dotted, 16 bytes RFC 5952, other lengths are not addresses", () => {
    assert.equal(canonicalIp(new Uint8Array([10, 96, 0, 1])), "10.96.0.1");
    assert.equal(canonicalIp(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])), "::1");
    assert.equal(canonicalIp(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1])), "::ffff:127.0.0.1");
    assert.equal(canonicalIp(new Uint8Array([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10])), "fd00::10");
    assert.equal(canonicalIp(new Uint8Array([10, 0, 0, 0, 255, 0, 0, 0])), undefined);
  });
});
