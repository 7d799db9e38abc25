import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { canonicalJson, GENESIS_HASH, recordHash, sealRecord } from "../../src/audit/index.js";
import type { AuditEvent } from "../../src/audit/types.js";

test("canonical JSON sorts keys, leaves out undefined members and has no whitespace", () => {
  assert.equal(
    canonicalJson({ b: 1, a: [true, null, "x"], c: undefined, d: { z: "1", y: { x: [] } } }),
    '{"a":[true,null,"x"],"b":1,"d":{"y":{"x":[]},"z":"1"}}',
  );
});

test("canonical JSON keeps non-ASCII text as is and escapes quotes, backslashes and control characters", () => {
  assert.equal(canonicalJson({ s: 'Zürich "q" \\ \n\u0001' }), '{"s":"Zürich \\"q\\" \\\\ \\n\\u0001"}');
});

test("canonical JSON sorts keys by UTF-16 code units, as RFC 8785 does, not by code points", () => {
  // U+FB33 sorts after U+1F600 here: the emoji's first UTF-16 unit is 0xD83D.
  assert.equal(canonicalJson({ "\ufb33": 6, "é": 1, Z: 2, a: 3, "\u20ac": 4, "\ud83d\ude00": 5 }), '{"Z":2,"a":3,"é":1,"€":4,"😀":5,"\ufb33":6}');
});

test("canonical JSON refuses numbers JSON cannot hold", () => {
  assert.throws(() => canonicalJson({ n: Number.NaN }), TypeError);
  assert.throws(() => canonicalJson({ n: Number.POSITIVE_INFINITY }), TypeError);
});

test("a record's hash is the SHA-256 of exactly this canonical text of the record without its hash", () => {
  const record = sealRecord(
    {
      event: "ca-created",
      requestId: undefined,
      actor: { method: "cli", identity: "root", node: undefined, sourceIp: undefined, userAgent: undefined },
      message: "ca created",
    },
    { seq: 0, hash: GENESIS_HASH },
    { time: "2026-03-01T10:00:00.000Z", id: "00000000-0000-4000-8000-000000000001" },
  );
  // Written out by hand so the encoding is pinned, not recomputed with the code under test.
  const text =
    '{"actor":{"identity":"root","method":"cli"},"event":"ca-created","id":"00000000-0000-4000-8000-000000000001",' +
    '"message":"ca created","prevHash":"0000000000000000000000000000000000000000000000000000000000000000","seq":1,' +
    '"time":"2026-03-01T10:00:00.000Z"}';
  assert.equal(record.hash, createHash("sha256").update(text, "utf8").digest("hex"));
  assert.equal(record.seq, 1);
  assert.equal(record.prevHash, "0".repeat(64));
  assert.equal(recordHash(record), record.hash);
});

test("members a caller's object carries beyond the event contract never reach the record", () => {
  const event = {
    event: "authentication-failed" as const,
    requestId: "r",
    token: "s3cr3t-token",
    actor: { method: "token", identity: undefined, node: undefined, sourceIp: "10.0.0.9", userAgent: "curl", authorization: "Bearer s3cr3t-token" },
  };
  const record = sealRecord(event, { seq: 4, hash: "a".repeat(64) }, { time: "2026-03-01T10:00:00.000Z", id: "id" });
  assert.doesNotMatch(canonicalJson(record), /s3cr3t/);
  assert.equal(record.seq, 5);
  assert.equal(record.prevHash, "a".repeat(64));
});

test("a lone surrogate from a caller is sealed as U+FFFD: the record is valid UTF-8 and hashes the same in any language", () => {
  const record = sealRecord(
    {
      event: "refused",
      requestId: "r\udc00",
      actor: { method: "token", identity: "cp-1", node: "cp-1", sourceIp: undefined, userAgent: "ua\ud800" },
      request: { file: "admin.conf\ud800", profile: undefined, csrSha256: undefined, publicKeySha256: undefined, keyAlgorithm: undefined, subject: "CN=\ud83d\ude00", dnsNames: ["a\udbff"], ipAddresses: [] },
      violations: [{ field: "name\ud800", rule: "encoding", message: "x\udfff" }],
    },
    { seq: 0, hash: GENESIS_HASH },
    { time: "2026-03-01T10:00:00.000Z", id: "id" },
  );
  const line = canonicalJson(record);
  assert.doesNotMatch(line, /\\ud[89a-f]/i, "no surrogate escapes");
  assert.equal(new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(line, "utf8")), line);
  assert.equal(record.request?.file, "admin.conf\ufffd");
  assert.equal(record.request?.subject, "CN=\ud83d\ude00", "a proper pair is kept");
  assert.deepEqual([record.requestId, record.actor.userAgent, record.request?.dnsNames[0], record.violations?.[0]?.field, record.violations?.[0]?.message], ["r\ufffd", "ua\ufffd", "a\ufffd", "name\ufffd", "x\ufffd"]);
});

test("canonical JSON refuses a lone surrogate and any number but a safe integer: neither has one reading in every language", () => {
  assert.throws(() => canonicalJson({ s: "\ud800" }), /lone UTF-16 surrogate/);
  assert.throws(() => canonicalJson({ "\udc00": 1 }), /lone UTF-16 surrogate/);
  assert.throws(() => canonicalJson({ n: 1.5 }), TypeError);
  assert.throws(() => canonicalJson({ n: 2 ** 53 }), TypeError);
  assert.equal(canonicalJson({ n: -(2 ** 53 - 1) }), '{"n":-9007199254740991}');
});

test("DEL and other characters above U+001F are written as they are; only quote, backslash and U+0000..U+001F are escaped", () => {
  assert.equal(canonicalJson({ s: "\u007f\u0080\u2028\b\f\n\r\t\u001f" }), '{"s":"\u007f\u0080\u2028\\b\\f\\n\\r\\t\\u001f"}');
});

test("a string longer than 1024 UTF-16 code units is stored as its first 1024 and its whole length, never splitting a pair", () => {
  const seal = (file: string) =>
    sealRecord(
      { event: "refused", requestId: undefined, actor: { method: "token", identity: undefined, node: undefined, sourceIp: undefined, userAgent: undefined }, request: { file, profile: undefined, csrSha256: undefined, publicKeySha256: undefined, keyAlgorithm: undefined, subject: undefined, dnsNames: [], ipAddresses: [] } },
      { seq: 0, hash: GENESIS_HASH },
      { time: "2026-03-01T10:00:00.000Z", id: "id" },
    ).request!.file;
  assert.equal(seal("a".repeat(2000)), "a".repeat(1024) + "…[2000 UTF-16 code units]");
  assert.equal(seal("a".repeat(1024)), "a".repeat(1024));
  assert.equal(seal("a".repeat(1023) + "\ud83d\ude00" + "b".repeat(10)), "a".repeat(1023) + "…[1035 UTF-16 code units]");
});

test("the stored line sealRecord computes with the hash is exactly canonicalJson of the record, for every member layout", async () => {
  const { recordLine } = await import("../../src/audit/record.js");
  const actor = { method: "token", identity: "cp-1", node: "cp-1", sourceIp: "10.0.0.1", userAgent: "kubeca/1" };
  const request = { file: "admin.conf", profile: "admin.conf", csrSha256: "c".repeat(64), publicKeySha256: "d".repeat(64), keyAlgorithm: "ECDSA P-256", subject: "CN=a", dnsNames: ["x"], ipAddresses: [] };
  const events: AuditEvent[] = [
    { event: "ca-created" as const, requestId: undefined, actor: { method: "cli", identity: undefined, node: undefined, sourceIp: undefined, userAgent: undefined } },
    { event: "issued" as const, requestId: "r1", actor, request, result: { serial: "1f", issuer: "CN=kubernetes", notBefore: "a", notAfter: "b", certificateSha256: "e".repeat(64) } },
    { event: "signing-failed" as const, requestId: "r2", actor, request, failure: { issuer: "ca", code: "KUBECA_SIGNER_UNAVAILABLE", reason: "internal" as const } },
    { event: "refused" as const, requestId: "r3", actor, violations: [{ field: "csr", rule: "r", message: "m" }], message: "x", node: "cp-2" },
  ];
  for (const event of events) {
    const record = sealRecord(event, { seq: 7, hash: "f".repeat(64) }, { time: "2026-03-01T10:00:00.000Z", id: "id" });
    assert.equal(recordLine(record), canonicalJson(record));
    assert.equal(recordHash(record), record.hash);
    assert.ok(Object.values(record).every((v) => v !== undefined), "no member holds undefined");
  }
  // A record not sealed here (read back, or copied) is encoded all the same.
  const copy = { ...sealRecord(events[1]!, { seq: 0, hash: GENESIS_HASH }, { time: "2026-03-01T10:00:00.000Z", id: "id" }) };
  assert.equal(recordLine(copy), canonicalJson(copy));
});

test("record text: lone surrogates found and replaced exactly as the regular expression that defines them does", async () => {
  const { isWellFormed, loneSurrogates, recordText } = await import("../../src/audit/record-text.js");
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
  const samples = ["", "plain", "\ud800", "\udc00", "\ud83d\ude00", "\ude00\ud83d", "\ud800\ud800\udc00", "a\udbffb", "\udfff\udfff", "é€\ud83d", "x\udc00\ud800y"];
  for (const s of samples) {
    assert.equal(isWellFormed(s), s.match(lone) === null, JSON.stringify(s));
    assert.equal(recordText(s), s.replace(lone, "\ufffd"), JSON.stringify(s));
    assert.deepEqual(loneSurrogates(s).map((l) => l.index), [...s.matchAll(lone)].map((m) => m.index), JSON.stringify(s));
  }
});
