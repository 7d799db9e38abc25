// The issuance log's cost: append throughput of the file store (fsync per record) and the dynamodb
// store (against dynalite on loopback, so the network round trip is far shorter than real DynamoDB's),
// the cost the log adds to one signature, and verify's speed. Prints figures; never passes or fails.
// Run: node --import tsx bench/audit.bench.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createDynamoDbAuditStore } from "../src/audit/dynamodb-store.js";
import { checkpointPathFor, createFileAuditStore, verifyAuditLog, type AuditStore } from "../src/audit/index.js";
import { createMemorySigner } from "../src/signers/memory.js";
import { issuedEvent } from "../test/audit/audit-fixtures.js";
import { startDynalite } from "../test/support/dynalite.js";

const now = () => new Date();
const randomUUID = () => crypto.randomUUID();

/** Runs `count` operations, `concurrency` at a time, and prints rate and mean latency per operation. */
async function report(label: string, count: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await op(i); // warm up: open the file or connection, JIT
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await op(next++);
    }),
  );
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const perOp = (secs / count) * 1e6;
  console.log(`${label.padEnd(58)} ${String(Math.round(count / secs)).padStart(7)} /s  ${perOp.toFixed(1).padStart(8)} µs`);
  return perOp;
}

export async function benchAudit(scale = 1): Promise<void> {
  const n = Math.max(50, Math.round(2000 * scale));
  const dir = await mkdtemp(join(tmpdir(), "kubeca-audit-bench-"));
  const signer = createMemorySigner("ECDSA-P256");
  const event = issuedEvent();
  console.log(`audit log, node ${process.version}, ${n} appends per row, files in ${tmpdir()}`);
  try {
    const fileStore = (name: string, checkpoints = false): AuditStore => {
      const records = join(dir, name);
      return createFileAuditStore({
        paths: { records, checkpoints: checkpointPathFor(records) },
        now,
        randomUUID,
        ...(checkpoints ? { checkpoints: { signer, everyRecords: 100, everyMs: 300_000, onError: console.error } } : {}),
      });
    };

    const sequential = fileStore("sequential.jsonl");
    const fileAppend = await report("file: append, one at a time (fsync each)", n, 1, () => sequential.append(event));
    await sequential.close();
    const queued = fileStore("queued.jsonl");
    await report("file: append, 32 callers at once (queued)", n, 32, () => queued.append(event));
    await queued.close();
    const checkpointed = fileStore("checkpointed.jsonl", true);
    await report("file: append + P-256 checkpoint every 100", n, 1, () => checkpointed.append(event));
    await checkpointed.close();

    // What the log adds to one certificate: a signature (memory P-256 here; KMS adds a round trip) then the append.
    const tbs = new Uint8Array(600).fill(7);
    const signOnly = await report("sign only (memory P-256, 600-byte TBS)", n, 1, () => signer.sign(tbs));
    const signed = fileStore("signed.jsonl");
    const signAndLog = await report("sign + file append", n, 1, async () => {
      await signer.sign(tbs);
      await signed.append(event);
    });
    await signed.close();
    console.log(`  the file log adds ${(signAndLog - signOnly).toFixed(1)} µs to one signature (append alone: ${fileAppend.toFixed(1)} µs)`);

    const reader = fileStore("sequential.jsonl");
    const start = process.hrtime.bigint();
    const result = await verifyAuditLog(reader);
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(`${"verify (file, hash + link per record)".padEnd(58)} ${String(Math.round(result.records / secs)).padStart(7)} /s  (${result.records} records, ok=${result.ok})`);

    const dynamo = await startDynalite();
    try {
      await dynamo.createAuditTable("bench-one");
      await dynamo.createAuditTable("bench-two");
      const dyn = (table: string) => createDynamoDbAuditStore({ client: dynamo.client(), table, chain: "kubeca", now, randomUUID });
      const one = dyn("bench-one");
      await report("dynalite: append, one writer", n, 1, () => one.append(event));
      const writers = [dyn("bench-two"), dyn("bench-two")];
      await report("dynalite: append, two writers racing for one chain", n, 2, (i) => writers[i % 2]!.append(event));
    } finally {
      await dynamo.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchAudit(Number(process.env.BENCH_SCALE ?? 1));
}
