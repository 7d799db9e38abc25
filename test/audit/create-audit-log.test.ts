import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, test } from "node:test";
import { canonicalJson, createAuditLog, openAuditReader, verifyAuditLog } from "../../src/audit/index.js";
import { AuditConfig } from "../../src/config/index.js";
import { KubecaError } from "../../src/errors/index.js";
import { createMemorySigner } from "../../src/signers/memory.js";
import { startDynalite, type Dynalite } from "../support/dynalite.js";
import { issuedEvent, refusedEvent, tempDir } from "./audit-fixtures.js";

let dynamo: Dynalite;
before(async () => {
  dynamo = await startDynalite();
});
after(() => dynamo.close());

function collect() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (b: Buffer) => chunks.push(b));
  return { stream, lines: () => Buffer.concat(chunks).toString("utf8").split("\n").filter(Boolean) };
}

test("the file store's paths resolve against the config's folder, and checkpoints go beside the log", async (t) => {
  const dir = await tempDir(t);
  const signer = createMemorySigner("ECDSA-P256");
  const config = AuditConfig.parse({ path: "var/audit.jsonl", checkpoint: { everyRecords: 2 } });
  const log = await createAuditLog(config, dir, { checkpointSigner: signer });
  for (let i = 0; i < 3; i++) await log.append(issuedEvent());
  await log.close();
  assert.equal((await readFile(join(dir, "var", "audit.jsonl"), "utf8")).split("\n").filter(Boolean).length, 3);
  const cps = (await readFile(join(dir, "var", "audit.checkpoints.jsonl"), "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l).seq);
  assert.deepEqual(cps, [2, 3]);
  const result = await verifyAuditLog(await openAuditReader(config, dir), { publicKeys: [signer.publicKey] });
  assert.equal(result.provedThrough, 3);
});

test("the stdout mirror writes each stored record and each checkpoint as one canonical JSON line", async (t) => {
  const dir = await tempDir(t);
  const out = collect();
  const signer = createMemorySigner("ECDSA-P256");
  const log = await createAuditLog(AuditConfig.parse({ path: "audit.jsonl", stdout: true, checkpoint: { everyRecords: 2 } }), dir, {
    checkpointSigner: signer,
    stdout: out.stream,
  });
  const records = [await log.append(issuedEvent()), await log.append(refusedEvent()), await log.append(issuedEvent())];
  await log.close();
  const lines = out.lines();
  const recordLines = lines.filter((l) => !l.includes('"kind":"checkpoint"'));
  assert.deepEqual(recordLines, records.map((r) => canonicalJson(r)));
  assert.deepEqual(lines.filter((l) => l.includes('"kind":"checkpoint"')).map((l) => JSON.parse(l).seq), [2, 3]);
  // The mirror says exactly what the file holds.
  assert.equal(await readFile(join(dir, "audit.jsonl"), "utf8"), recordLines.map((l) => l + "\n").join(""));
});

test("a record that could not be stored is not mirrored", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "audit.jsonl"));
  const out = collect();
  const log = await createAuditLog(AuditConfig.parse({ path: "audit.jsonl", stdout: true }), dir, { stdout: out.stream });
  await assert.rejects(log.append(issuedEvent()), (e) => e instanceof KubecaError && e.code === "KUBECA_AUDIT_UNAVAILABLE");
  await log.close();
  assert.deepEqual(out.lines(), []);
});

test("opening a reader never creates the log file", async (t) => {
  const dir = await tempDir(t);
  const reader = await openAuditReader(AuditConfig.parse({ path: "audit.jsonl" }), dir);
  await assert.rejects(reader.read({}), (e) => e instanceof KubecaError && e.code === "KUBECA_AUDIT_UNAVAILABLE");
  assert.equal(existsSync(join(dir, "audit.jsonl")), false);
});

test("the dynamodb store is built from audit.table and audit.chain, and a second chain in the table is separate", async () => {
  await dynamo.createAuditTable("kubeca-audit-factory");
  const config = (chain: string) => AuditConfig.parse({ store: "dynamodb", table: "kubeca-audit-factory", chain });
  const a = await createAuditLog(config("cluster-a"), "/", { dynamoDbClient: dynamo.client() });
  const b = await createAuditLog(config("cluster-b"), "/", { dynamoDbClient: dynamo.client() });
  await a.append(issuedEvent());
  await a.append(issuedEvent());
  const first = await b.append(refusedEvent());
  assert.equal(first.seq, 1);
  await a.ready();
  assert.deepEqual((await (await openAuditReader(config("cluster-a"), "/", { dynamoDbClient: dynamo.client() })).read({})).records.map((r) => r.seq), [2, 1]);
  await a.close();
  await b.close();
});
