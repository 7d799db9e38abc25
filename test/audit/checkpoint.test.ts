import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { checkpointPathFor, createFileAuditStore, type AuditCheckpoint } from "../../src/audit/index.js";
import { KubecaError } from "../../src/errors/index.js";
import { createMemorySigner } from "../../src/signers/memory.js";
import type { Signer } from "../../src/signers/signer.js";
import { issuedEvent, steppingClock, tempDir } from "./audit-fixtures.js";

async function storeWith(t: import("node:test").TestContext, signer: Signer, cadence: { everyRecords: number; everyMs: number }, now: () => Date) {
  const path = join(await tempDir(t), "audit.jsonl");
  const errors: unknown[] = [];
  const store = createFileAuditStore({
    paths: { records: path, checkpoints: checkpointPathFor(path) },
    now,
    randomUUID: () => crypto.randomUUID(),
    checkpoints: { signer, ...cadence, onError: (e) => errors.push(e) },
  });
  const checkpoints = async () =>
    (await readFile(checkpointPathFor(path), "utf8").catch(() => ""))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditCheckpoint);
  return { store, checkpoints, errors };
}

test("a checkpoint is written whenever a record's seq is a multiple of everyRecords, and on close for the rest", async (t) => {
  const signer = createMemorySigner("ECDSA-P256");
  const { store, checkpoints } = await storeWith(t, signer, { everyRecords: 4, everyMs: 3_600_000 }, steppingClock());
  const records = [];
  for (let i = 0; i < 10; i++) records.push(await store.append(issuedEvent()));
  await store.close();
  const cps = await checkpoints();
  assert.deepEqual(cps.map((c) => c.seq), [4, 8, 10]);
  assert.deepEqual(cps.map((c) => c.headHash), [records[3]!.hash, records[7]!.hash, records[9]!.hash]);
});

test("a checkpoint is written at the first append once everyMinutes have passed since the last one", async (t) => {
  const signer = createMemorySigner("ECDSA-P256");
  const clock = steppingClock("2026-03-01T10:00:00.000Z", 0);
  const { store, checkpoints } = await storeWith(t, signer, { everyRecords: 1000, everyMs: 5 * 60_000 }, clock);
  await store.append(issuedEvent());
  clock.advance(60_000);
  await store.append(issuedEvent());
  clock.advance(4 * 60_000);
  await store.append(issuedEvent());
  await store.close();
  const cps = await checkpoints();
  assert.deepEqual(cps.map((c) => [c.seq, c.time]), [[3, "2026-03-01T10:05:00.000Z"]]);
});

test("a checkpoint's signature verifies with node:crypto, the public key and the documented canonical body alone", async (t) => {
  const signer = createMemorySigner("ECDSA-P256");
  const { store, checkpoints } = await storeWith(t, signer, { everyRecords: 2, everyMs: 3_600_000 }, steppingClock());
  await store.append(issuedEvent());
  await store.append(issuedEvent());
  await store.close();
  const [cp] = await checkpoints();
  assert.ok(cp);
  // docs/audit.md: the signed bytes are the canonical JSON of the checkpoint without "signature".
  const body = `{"algorithm":"${cp.algorithm}","headHash":"${cp.headHash}","kind":"checkpoint","publicKeySha256":"${cp.publicKeySha256}","seq":${cp.seq},"time":"${cp.time}"}`;
  const key = createPublicKey({ key: Buffer.from(signer.publicKey), format: "der", type: "spki" });
  assert.equal(cp.algorithm, "ecdsa-with-SHA256");
  assert.equal(verify("sha256", Buffer.from(body), { key, dsaEncoding: "der" }, Buffer.from(cp.signature, "base64")), true);
});

test("a signer that fails does not fail the append: the failure is reported and the next checkpoint covers the records", async (t) => {
  const real = createMemorySigner("ECDSA-P256");
  let calls = 0;
  const flaky: Signer = {
    algorithm: real.algorithm,
    publicKey: real.publicKey,
    async sign(tbs) {
      if (++calls === 1) throw new KubecaError("KUBECA_SIGNER_UNAVAILABLE", "KMS throttled", { retryAfter: 1 });
      return real.sign(tbs);
    },
  };
  const { store, checkpoints, errors } = await storeWith(t, flaky, { everyRecords: 2, everyMs: 3_600_000 }, steppingClock());
  const records = [];
  for (let i = 0; i < 4; i++) records.push(await store.append(issuedEvent()));
  await store.close();
  assert.deepEqual(records.map((r) => r.seq), [1, 2, 3, 4]);
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as KubecaError).code, "KUBECA_SIGNER_UNAVAILABLE");
  assert.deepEqual((await checkpoints()).map((c) => c.seq), [4]);
});

test("a checkpoint due at a multiple of everyRecords proves that record, even when later records land while an earlier checkpoint is still being signed", async (t) => {
  const memory = createMemorySigner("ECDSA-P256");
  // A slow signer (a KMS round trip): records 5 to 10 are stored while checkpoint 4 is being signed.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow: Signer = { algorithm: memory.algorithm, publicKey: memory.publicKey, sign: async (tbs) => (await gate, memory.sign(tbs)) };
  const { store, checkpoints } = await storeWith(t, slow, { everyRecords: 4, everyMs: 3_600_000 }, steppingClock());
  const records = [];
  for (let i = 0; i < 10; i++) records.push(await store.append(issuedEvent()));
  release();
  await store.close();
  const cps = await checkpoints();
  assert.deepEqual(cps.map((c) => c.seq), [4, 8, 10]);
  assert.deepEqual(cps.map((c) => c.headHash), [records[3]!.hash, records[7]!.hash, records[9]!.hash]);
});
