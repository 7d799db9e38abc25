// Each tampering an auditor worries about, done to a real log file, must be found by verify and named.
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import {
  canonicalJson,
  checkpointPathFor,
  createFileAuditReader,
  createFileAuditStore,
  recordHash,
  signCheckpoint,
  verifyAuditLog,
  type AuditCheckpoint,
  type Stored,
} from "../../src/audit/index.js";
import { createMemorySigner } from "../../src/signers/memory.js";
import type { KeyAlgorithmName } from "../../src/config/index.js";
import { createHash, createPublicKey } from "node:crypto";
import { verifyWithBoth } from "../support/python-audit-verifier.js";
import { issuedEvent, refusedEvent, steppingClock, tempDir } from "./audit-fixtures.js";

const signer = createMemorySigner("ECDSA-P256");

/** A checkpoint key as both verifiers take it: SPKI DER for kubeca, PEM for the Python script. */
function keyOf(s: { publicKey: Uint8Array }): { der: Uint8Array; pem: string } {
  const pem = createPublicKey({ key: Buffer.from(s.publicKey), format: "der", type: "spki" }).export({ format: "pem", type: "spki" }).toString();
  return { der: s.publicKey, pem };
}

/** 12 records with checkpoints at 5 and 10, and a last one at 12 written on close. */
async function writeLog(t: TestContext, options: { signer?: ReturnType<typeof createMemorySigner>; records?: number } = {}) {
  const path = join(await tempDir(t), "audit.jsonl");
  const paths = { records: path, checkpoints: checkpointPathFor(path) };
  const store = createFileAuditStore({
    paths,
    now: steppingClock(),
    randomUUID: () => crypto.randomUUID(),
    checkpoints: { signer: options.signer ?? signer, everyRecords: 5, everyMs: 3_600_000, onError: (e) => assert.fail(String(e)) },
  });
  for (let i = 1; i <= (options.records ?? 12); i++) await store.append(i % 3 ? issuedEvent({ serial: `0${i}` }) : refusedEvent());
  await store.close();
  return { paths, reader: createFileAuditReader(paths) };
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, "utf8")).trimEnd().split("\n");
}

async function writeLines(path: string, ls: readonly string[]): Promise<void> {
  await writeFile(path, ls.map((l) => l + "\n").join(""));
}

/** Rewrites record `seq` with `change`, recomputing its hash when asked (a careful forger). */
function edit(line: string, change: (r: Record<string, unknown>) => void, rehash: boolean): string {
  const r = JSON.parse(line) as Record<string, unknown>;
  change(r);
  if (rehash) r.hash = recordHash(r);
  return canonicalJson(r);
}

test("an untouched log verifies, its head proved by a signed checkpoint", async (t) => {
  const { paths } = await writeLog(t);
  const result = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.equal(result.ok, true);
  assert.equal(result.broken, undefined);
  assert.equal(result.records, 12);
  assert.equal(result.checkpoints, 3);
  assert.equal(result.signaturesChecked, true);
  assert.equal(result.provedThrough, 12);
  assert.equal(result.head?.seq, 12);
});

test("a field edited in a record is named as modified at that record", async (t) => {
  const { paths } = await writeLog(t);
  const ls = await lines(paths.records);
  ls[3] = ls[3]!.replace('"serial":"04"', '"serial":"ff"');
  await writeLines(paths.records, ls);
  const { broken } = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.deepEqual(
    { kind: broken?.kind, seq: broken?.seq, location: broken?.location },
    { kind: "modified", seq: 4, location: "line 4" },
  );
});

test("a record edited with its hash recomputed is named as modified: the next record still links to the old hash", async (t) => {
  const { paths } = await writeLog(t);
  const ls = await lines(paths.records);
  ls[6] = edit(ls[6]!, (r) => ((r.actor as Record<string, unknown>).node = "cp-9"), true);
  await writeLines(paths.records, ls);
  const { broken } = await verifyWithBoth(paths);
  assert.equal(broken?.kind, "modified");
  assert.equal(broken?.seq, 7);
  assert.match(broken!.detail, /record 7 was changed and its hash recomputed/);
});

test("a chain rewritten from an edit to its end is caught by the signed checkpoint", async (t) => {
  const { paths } = await writeLog(t);
  const ls = await lines(paths.records);
  let prev = JSON.parse(ls[6]!).prevHash as string;
  for (let i = 6; i < ls.length; i++) {
    ls[i] = edit(ls[i]!, (r) => {
      if (i === 6) r.message = "nothing to see";
      r.prevHash = prev;
    }, true);
    prev = JSON.parse(ls[i]!).hash;
  }
  await writeLines(paths.records, ls);
  const { broken } = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.equal(broken?.kind, "modified");
  assert.equal(broken?.seq, 6, "the first record after the last checkpoint that still matches (5)");
  assert.match(broken!.detail, /records 6\.\.10 were rewritten: record 10's hash differs from the checkpoint/);
});

test("a removed record is named as removed at its seq", async (t) => {
  const { paths } = await writeLog(t);
  const ls = await lines(paths.records);
  ls.splice(5, 1);
  await writeLines(paths.records, ls);
  const { broken } = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.deepEqual({ kind: broken?.kind, seq: broken?.seq }, { kind: "removed", seq: 6 });
  assert.match(broken!.detail, /record 6 was removed: line 6 holds record 7, right after record 5/);
});

test("two swapped records are named as reordered", async (t) => {
  const { paths } = await writeLog(t);
  const ls = await lines(paths.records);
  [ls[5], ls[6]] = [ls[6]!, ls[5]!];
  await writeLines(paths.records, ls);
  const { broken } = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.deepEqual({ kind: broken?.kind, seq: broken?.seq, location: broken?.location }, { kind: "reordered", seq: 6, location: "line 6" });
  assert.match(broken!.detail, /record 6 is stored after record 7 \(line 7\)/);
});

test("the tail cut after a checkpoint is named as truncated at the first missing record", async (t) => {
  const { paths } = await writeLog(t);
  await writeLines(paths.records, (await lines(paths.records)).slice(0, 7));
  const { broken, ok } = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.equal(ok, false);
  assert.deepEqual({ kind: broken?.kind, seq: broken?.seq }, { kind: "truncated", seq: 8 });
  assert.match(broken!.detail, /the log ends at record 7, but the checkpoint signed at .* proves record 12: records 8\.\.12 were cut off/);
});

test("a checkpoint whose content was altered is named as a forged checkpoint", async (t) => {
  const { paths } = await writeLog(t);
  const cps = await lines(paths.checkpoints);
  const cp = JSON.parse(cps[1]!) as AuditCheckpoint;
  // Point the checkpoint for 10 at record 7 instead, with 7's real hash: only the signature can tell.
  const seven = JSON.parse((await lines(paths.records))[6]!);
  cps[1] = canonicalJson({ ...cp, seq: 7, headHash: seven.hash });
  await writeLines(paths.checkpoints, cps);
  const { broken } = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.deepEqual(
    { kind: broken?.kind, seq: broken?.seq, location: broken?.location },
    { kind: "forged-checkpoint", seq: 7, location: "checkpoint line 2" },
  );
  assert.match(broken!.detail, /signature does not verify/);
});

test("a checkpoint signed by a key that is not trusted is named as a forged checkpoint", async (t) => {
  const { paths } = await writeLog(t);
  const records = await lines(paths.records);
  // A forger cuts the log to 7 records and signs a matching head with a key of their own.
  await writeLines(paths.records, records.slice(0, 7));
  const forger = createMemorySigner("ECDSA-P256");
  const forged = await signCheckpoint(forger, { seq: 7, hash: JSON.parse(records[6]!).hash }, "2026-03-01T11:00:00.000Z");
  await writeLines(paths.checkpoints, [canonicalJson(forged)]);
  const { broken } = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.equal(broken?.kind, "forged-checkpoint");
  assert.equal(broken?.seq, 7);
  assert.match(broken!.detail, /not among the trusted public keys/);
});

test("without public keys signatures are not checked, and a cut tail is still found", async (t) => {
  const { paths } = await writeLog(t);
  await writeLines(paths.records, (await lines(paths.records)).slice(0, 11));
  const result = await verifyWithBoth(paths);
  assert.equal(result.signaturesChecked, false);
  assert.equal(result.provedThrough, 0);
  assert.deepEqual({ kind: result.broken?.kind, seq: result.broken?.seq }, { kind: "truncated", seq: 12 });
});

test("a checkpoint kept outside the log catches a cut that also deleted the log's checkpoints", async (t) => {
  const { paths, reader } = await writeLog(t);
  const saved: Stored<AuditCheckpoint>[] = (await lines(paths.checkpoints)).map((l, i) => ({ location: `saved ${i + 1}`, value: JSON.parse(l) }));
  await writeLines(paths.records, (await lines(paths.records)).slice(0, 9));
  await rm(paths.checkpoints);
  assert.equal((await verifyWithBoth(paths, [keyOf(signer)])).ok, true, "the cut alone is invisible");
  const { broken } = await verifyAuditLog(reader, { publicKeys: [signer.publicKey], extraCheckpoints: saved });
  assert.deepEqual({ kind: broken?.kind, seq: broken?.seq }, { kind: "truncated", seq: 10 });
});

test("a line that is not JSON is named as modified at the record it replaced", async (t) => {
  const { paths } = await writeLog(t);
  const ls = await lines(paths.records);
  ls[2] = ls[2]!.slice(0, 40);
  await writeLines(paths.records, ls);
  const { broken } = await verifyWithBoth(paths);
  assert.deepEqual({ kind: broken?.kind, seq: broken?.seq, location: broken?.location }, { kind: "modified", seq: 3, location: "line 3" });
});

for (const [algorithm, padding] of [
  ["ECDSA-P384", undefined],
  ["RSA-2048", "pkcs1"],
  ["RSA-2048", "pss"],
] as const) {
  test(`checkpoints signed with ${algorithm}${padding ? ` ${padding}` : ""} verify with only the public key, and a flipped signature bit is a forgery`, async (t) => {
    const key = createMemorySigner(algorithm as KeyAlgorithmName, padding ? { rsaPadding: padding } : {});
    const { paths } = await writeLog(t, { signer: key, records: 5 });
    assert.equal((await verifyWithBoth(paths, [keyOf(key)])).provedThrough, 5);
    const cp = JSON.parse((await lines(paths.checkpoints))[0]!) as AuditCheckpoint;
    const sig = Buffer.from(cp.signature, "base64");
    sig[sig.length - 1]! ^= 1;
    await writeLines(paths.checkpoints, [canonicalJson({ ...cp, signature: sig.toString("base64") })]);
    assert.equal((await verifyWithBoth(paths, [keyOf(key)])).broken?.kind, "forged-checkpoint");
  });
}

// Each stored line must be the canonical encoding itself, byte for byte: a parser that keeps the
// first of two duplicated keys, or that reads escapes differently, must never see another record
// under a chain that verifies.
for (const [what, change] of [
  ["a duplicated key (a last-key-wins parser reads the real value, a first-key-wins one reads the other)", (l: string) => l.replace('"event":"issued"', '"event":"refused","event":"issued"')],
  ["whitespace between tokens", (l: string) => l.replace('"event":', '"event": ')],
  ["a character written as an escape", (l: string) => l.replace('"event":"issued"', '"event":"\\u0069ssued"')],
  ["a byte-order mark", (l: string) => "\ufeff" + l],
] as const) {
  test(`a line with ${what} is named as modified even though its hash matches the parsed record`, async (t) => {
    const { paths } = await writeLog(t);
    const ls = await lines(paths.records);
    const changed = change(ls[3]!);
    assert.notEqual(changed, ls[3]);
    assert.equal(recordHash(JSON.parse(changed.replace(/^\ufeff/, ""))), JSON.parse(ls[3]!).hash, "JSON.parse reads the same record");
    ls[3] = changed;
    await writeLines(paths.records, ls);
    const { broken } = await verifyWithBoth(paths, [keyOf(signer)]);
    assert.deepEqual({ kind: broken?.kind, seq: broken?.seq, location: broken?.location }, { kind: "modified", seq: 4, location: "line 4" });
    assert.match(broken!.detail, /not the canonical encoding|not valid JSON/);
  });
}

test("a line that is not UTF-8 is named as modified by both verifiers", async (t) => {
  const { paths } = await writeLog(t);
  const ls = await lines(paths.records);
  const bytes = Buffer.from(ls.map((l) => l + "\n").join(""), "utf8");
  // Replace the "e" of the first "issued" on line 4 with a lone continuation byte.
  const start = bytes.indexOf(ls[3]!);
  bytes[bytes.indexOf('"event":"issued"', start) + 10] = 0x80;
  await writeFile(paths.records, bytes);
  const { broken } = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.deepEqual({ kind: broken?.kind, seq: broken?.seq }, { kind: "modified", seq: 4 });
});

test("a record holding a lone surrogate escape, hashed as JSON.stringify writes it, is named as modified: no UTF-8 verifier can read it", async (t) => {
  const { paths } = await writeLog(t);
  const ls = await lines(paths.records);
  // What a verifier that re-canonicalises with JSON.stringify accepts: the hash matches that text.
  const loose = (v: unknown): string =>
    Array.isArray(v) ? `[${v.map(loose).join(",")}]` : v !== null && typeof v === "object"
      ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${loose((v as Record<string, unknown>)[k])}`).join(",")}}`
      : JSON.stringify(v);
  const last = JSON.parse(ls[11]!) as Record<string, unknown>;
  last.message = "admin.conf\ud800";
  const { hash: _old, ...body } = last;
  last.hash = createHash("sha256").update(loose(body)).digest("hex");
  ls[11] = loose(last);
  await writeLines(paths.records, ls);
  await rm(paths.checkpoints);
  const { broken } = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.deepEqual({ kind: broken?.kind, seq: broken?.seq }, { kind: "modified", seq: 12 });
  assert.match(broken!.detail, /lone UTF-16 surrogate/);
});

test("a torn last line (no newline: a write a crash cut off) is reported, not counted, and breaks nothing", async (t) => {
  const { paths } = await writeLog(t);
  const torn = '{"actor":{"method":"token"},"event":"iss';
  await writeFile(paths.records, (await readFile(paths.records, "utf8")) + torn);
  const result = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.equal(result.ok, true);
  assert.equal(result.records, 12);
  assert.deepEqual(result.tornTail, { location: "after the last newline of audit.jsonl", bytes: Buffer.byteLength(torn) });
});

test("a record cut in the middle of its line after a checkpoint proved it is truncated, not torn", async (t) => {
  const { paths } = await writeLog(t);
  const text = await readFile(paths.records, "utf8");
  await writeFile(paths.records, text.slice(0, text.length - 40)); // record 12 loses its end and its newline
  const result = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.deepEqual({ kind: result.broken?.kind, seq: result.broken?.seq }, { kind: "truncated", seq: 12 });
  assert.ok((result.tornTail?.bytes ?? 0) > 0);
});

test("a checkpoint whose signature is spelled in another base64 form is not accepted: one standard encoding only", async (t) => {
  const { paths } = await writeLog(t);
  const cps = await lines(paths.checkpoints);
  const cp = JSON.parse(cps[2]!) as AuditCheckpoint;
  cps[2] = canonicalJson({ ...cp, signature: cp.signature.replace(/=+$/, "") + "\n" });
  await writeLines(paths.checkpoints, cps);
  const { broken } = await verifyWithBoth(paths, [keyOf(signer)]);
  assert.deepEqual({ kind: broken?.kind, seq: broken?.seq }, { kind: "forged-checkpoint", seq: 12 });
});
