import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, mkdir, open, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { canonicalJson, checkpointPathFor, createFileAuditStore, verifyAuditLog } from "../../src/audit/index.js";
import { KubecaError } from "../../src/errors/index.js";
import { issuedEvent, refusedEvent, steppingClock, tempDir } from "./audit-fixtures.js";

function fileStore(path: string, extra: { now?: () => Date; onWarning?: (m: string) => void } = {}) {
  let n = 0;
  return createFileAuditStore({
    paths: { records: path, checkpoints: checkpointPathFor(path) },
    now: extra.now ?? steppingClock(),
    randomUUID: () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
    ...(extra.onWarning ? { onWarning: extra.onWarning } : {}),
  });
}

async function fileLines(path: string): Promise<unknown[]> {
  return (await readFile(path, "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l));
}

function isUnavailable(e: unknown): boolean {
  assert.ok(e instanceof KubecaError, `expected a KubecaError, got ${String(e)}`);
  assert.equal(e.code, "KUBECA_AUDIT_UNAVAILABLE");
  assert.ok((e.retryAfter ?? 0) > 0, "retryAfter is set");
  return true;
}

test("appended records are read back newest first, each linking to the hash of the one before", async (t) => {
  const path = join(await tempDir(t), "audit.jsonl");
  const store = fileStore(path);
  const written = [await store.append(issuedEvent()), await store.append(refusedEvent()), await store.append(issuedEvent({ node: "cp-2" }))];
  const page = await store.read({});
  assert.deepEqual(page.records, [...written].reverse());
  assert.equal(page.nextCursor, undefined);
  assert.deepEqual(written.map((r) => r.seq), [1, 2, 3]);
  assert.equal(written[0]!.prevHash, "0".repeat(64));
  assert.equal(written[1]!.prevHash, written[0]!.hash);
  assert.equal(written[2]!.prevHash, written[1]!.hash);
  for (const r of written) {
    const { hash, ...body } = r;
    assert.equal(hash, createHash("sha256").update(canonicalJson(body)).digest("hex"));
  }
  // The file holds exactly these records, one canonical JSON line each.
  assert.equal(await readFile(path, "utf8"), written.map((r) => canonicalJson(r) + "\n").join(""));
  assert.deepEqual(written[1]!.violations, refusedEvent().violations);
  await store.close();
});

test("time comes from the injected clock and id from the injected UUID source", async (t) => {
  const path = join(await tempDir(t), "audit.jsonl");
  const store = fileStore(path, { now: steppingClock("2026-05-01T00:00:00.000Z", 60_000) });
  const a = await store.append(issuedEvent());
  const b = await store.append(issuedEvent());
  assert.equal(a.time, "2026-05-01T00:00:00.000Z");
  assert.equal(b.time, "2026-05-01T00:01:00.000Z");
  assert.equal(a.id, "00000000-0000-4000-8000-000000000001");
  await store.close();
});

test("a reopened file store continues the chain where the file ends", async (t) => {
  const path = join(await tempDir(t), "audit.jsonl");
  const first = fileStore(path);
  await first.append(issuedEvent());
  const second = await first.append(issuedEvent());
  await first.close();
  const reopened = fileStore(path);
  const third = await reopened.append(refusedEvent());
  assert.equal(third.seq, 3);
  assert.equal(third.prevHash, second.hash);
  assert.equal((await verifyAuditLog(reopened)).ok, true);
  await reopened.close();
});

test("concurrent appends in one process form one chain in the order append was called", async (t) => {
  const path = join(await tempDir(t), "audit.jsonl");
  const store = fileStore(path);
  // 300 at once: more than one group-commit batch (256).
  const records = await Promise.all(Array.from({ length: 300 }, (_, i) => store.append(issuedEvent({ requestId: `r${i}` }))));
  assert.deepEqual(records.map((r) => r.seq), Array.from({ length: 300 }, (_, i) => i + 1));
  assert.deepEqual(records.map((r) => r.requestId), Array.from({ length: 300 }, (_, i) => `r${i}`));
  const result = await verifyAuditLog(store);
  assert.equal(result.ok, true);
  assert.equal(result.records, 300);
  assert.equal((await fileLines(path)).length, 300);
  await store.close();
});

test("a token smuggled into an event object never reaches the file", async (t) => {
  const path = join(await tempDir(t), "audit.jsonl");
  const store = fileStore(path);
  const event = { ...issuedEvent(), token: "kubeca-token-abc123", headers: { authorization: "Bearer kubeca-token-abc123" } };
  await store.append(event);
  await store.close();
  assert.doesNotMatch(await readFile(path, "utf8"), /abc123/);
});

test("a directory in place of the log file makes append reject with KUBECA_AUDIT_UNAVAILABLE, and removing it heals the store", async (t) => {
  const path = join(await tempDir(t), "audit.jsonl");
  await mkdir(path);
  const store = fileStore(path);
  await assert.rejects(store.append(issuedEvent()), isUnavailable);
  await assert.rejects(store.ready(), isUnavailable);
  await rmdir(path);
  const record = await store.append(issuedEvent());
  assert.equal(record.seq, 1);
  await store.close();
});

test("a file in place of the log's folder makes append reject with KUBECA_AUDIT_UNAVAILABLE", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "logs"), "not a folder");
  const store = fileStore(join(dir, "logs", "audit.jsonl"));
  await assert.rejects(store.append(issuedEvent()), isUnavailable);
  await store.close();
});

test("a write that fails (a full disk: /dev/full) rejects every waiting append with KUBECA_AUDIT_UNAVAILABLE", { skip: !existsSync("/dev/full") && "needs Linux /dev/full" }, async () => {
  const store = fileStore("/dev/full");
  const outcomes = await Promise.allSettled([store.append(issuedEvent()), store.append(refusedEvent()), store.append(issuedEvent())]);
  assert.deepEqual(outcomes.map((o) => o.status), ["rejected", "rejected", "rejected"]);
  for (const o of outcomes) assert.ok(o.status === "rejected" && isUnavailable(o.reason) && /ENOSPC/.test((o.reason as KubecaError).detail));
  await store.close();
});

test("a torn last line from an interrupted write is cut off and the chain continues after the last whole record", async (t) => {
  const path = join(await tempDir(t), "audit.jsonl");
  const first = fileStore(path);
  await first.append(issuedEvent());
  const second = await first.append(issuedEvent());
  await first.close();
  await appendFile(path, '{"actor":{"identity":"cp-1-tok');
  const warnings: string[] = [];
  const reopened = fileStore(path, { onWarning: (m) => warnings.push(m) });
  const third = await reopened.append(issuedEvent());
  await reopened.close();
  assert.equal(third.seq, 3);
  assert.equal(third.prevHash, second.hash);
  assert.equal((await fileLines(path)).length, 3);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /incomplete line \(30 bytes/);
});

test("a last line that is not a record stops appends instead of forking the chain", async (t) => {
  const path = join(await tempDir(t), "audit.jsonl");
  const first = fileStore(path);
  await first.append(issuedEvent());
  await first.close();
  await appendFile(path, "this is not a record\n");
  const reopened = fileStore(path);
  await assert.rejects(reopened.append(issuedEvent()), (e) => isUnavailable(e) && /kubeca audit verify/.test((e as KubecaError).detail));
  assert.equal((await readFile(path, "utf8")).split("\n").length, 3);
  await reopened.close();
});

test("pages follow the cursor newest first without repeats or gaps", async (t) => {
  const path = join(await tempDir(t), "audit.jsonl");
  const store = fileStore(path);
  for (let i = 0; i < 25; i++) await store.append(issuedEvent({ requestId: `r${i}` }));
  const seen: number[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.read({ limit: 10, ...(cursor ? { cursor } : {}) });
    seen.push(...page.records.map((r) => r.seq));
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 3);
  assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => 25 - i));
  await store.close();
});

test("reads filter by node, serial, event and time", async (t) => {
  const path = join(await tempDir(t), "audit.jsonl");
  const store = fileStore(path, { now: steppingClock("2026-03-01T10:00:00.000Z", 60_000) });
  for (let i = 0; i < 6; i++) {
    await store.append(issuedEvent({ node: i % 2 ? "cp-2" : "cp-1", serial: `0a0${i}` }));
    await store.append(refusedEvent({ node: "worker-1" }));
  }
  const seqs = async (q: Parameters<typeof store.read>[0]) => (await store.read(q)).records.map((r) => r.seq);
  assert.deepEqual(await seqs({ node: "cp-2" }), [11, 7, 3]);
  assert.deepEqual(await seqs({ serial: "0A:03" }), [7]);
  assert.deepEqual(await seqs({ event: "refused", limit: 2 }), [12, 10]);
  assert.deepEqual(await seqs({ event: ["refused", "issued"], since: "2026-03-01T10:09:00Z" }), [12, 11, 10]);
  assert.deepEqual(await seqs({ until: "2026-03-01T10:02:00Z" }), [2, 1]);
  await assert.rejects(store.read({ since: "yesterday" }), (e) => e instanceof KubecaError && e.code === "KUBECA_BAD_REQUEST");
  await assert.rejects(store.read({ cursor: "not-a-cursor" }), (e) => e instanceof KubecaError && e.code === "KUBECA_BAD_REQUEST");
  await store.close();
});

test("group commit: appends that arrive together share one fsync, and each resolves only after the fsync that covers its line", async (t) => {
  const path = join(await tempDir(t), "audit.jsonl");
  const store = fileStore(path);
  await store.ready();
  // Count the real fsyncs, and how many lines the file held when the last one finished.
  const probe = await open(join(await tempDir(t), "probe"), "w");
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const sync = proto.sync;
  let syncs = 0;
  let durableLines = 0;
  proto.sync = async function (this: unknown) {
    const linesNow = (await readFile(path, "utf8")).split("\n").length - 1;
    await sync.call(this);
    syncs++;
    durableLines = linesNow;
  };
  t.after(() => {
    proto.sync = sync;
  });
  // Each caller notes, when its append resolves, how many lines were on disk by then.
  const results = await Promise.all(
    Array.from({ length: 300 }, (_, i) => store.append(issuedEvent({ requestId: `r${i}` })).then((record) => ({ record, durable: durableLines }))),
  );
  // 300 at once: two batches (256 per write at most), so two fsyncs, not 300.
  assert.equal(syncs, 2);
  for (const { record, durable } of results) assert.ok(durable >= record.seq, `record ${record.seq} resolved with only ${durable} lines synced`);
  assert.equal((await fileLines(path)).length, 300);
  await store.close();
});
