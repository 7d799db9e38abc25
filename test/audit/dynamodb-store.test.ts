// The dynamodb store against dynalite with the real @aws-sdk/client-dynamodb.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { createDynamoDbAuditStore } from "../../src/audit/dynamodb-store.js";
import { canonicalJson, verifyAuditLog, type AuditRecord } from "../../src/audit/index.js";
import { KubecaError } from "../../src/errors/index.js";
import { createMemorySigner } from "../../src/signers/memory.js";
import { startDynalite, type Dynalite } from "../support/dynalite.js";
import { issuedEvent, refusedEvent, steppingClock } from "./audit-fixtures.js";

let dynamo: Dynalite;
let tables = 0;
before(async () => {
  dynamo = await startDynalite();
});
after(() => dynamo.close());

async function newTable(): Promise<string> {
  const name = `kubeca-audit-${++tables}`;
  await dynamo.createAuditTable(name);
  return name;
}

function store(table: string, extra: Partial<Parameters<typeof createDynamoDbAuditStore>[0]> = {}) {
  return createDynamoDbAuditStore({
    client: dynamo.client(),
    table,
    chain: "kubeca",
    now: steppingClock(),
    randomUUID: () => crypto.randomUUID(),
    ...extra,
  });
}

test("two writers with their own clients appending 500 records each at once make one linear chain of 1,000", async () => {
  const table = await newTable();
  const signer = createMemorySigner("ECDSA-P256");
  const checkpoints = { signer, everyRecords: 100, everyMs: 3_600_000, onError: (e: unknown) => assert.fail(String(e)) };
  // The budget bounds how long one append may keep losing; under a loaded machine a writer with a
  // cached head can win for more than the default 10 s. This test is about the chain staying linear,
  // not about fairness, so the budget is a generous bound (the next test fails closed on a spent one).
  const writers = ["a", "b"].map((name) => ({ name, store: store(table, { checkpoints, contentionBudgetMs: 300_000 }) }));

  const returned = (
    await Promise.all(
      writers.map(({ name, store: s }) => Promise.all(Array.from({ length: 500 }, (_, i) => s.append(issuedEvent({ message: `${name}-${i}` }))))),
    )
  ).flat();
  await Promise.all(writers.map((w) => w.store.close()));

  // What the writers were told: every seq once.
  assert.deepEqual(returned.map((r) => r.seq).sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i + 1));
  // What the table holds: the same 1,000 records, each message exactly once, linked in one line.
  const reader = store(table);
  const stored: AuditRecord[] = [];
  for await (const entry of reader.chain()) {
    assert.ok("value" in entry, `readable: ${entry.location}`);
    stored.push(entry.value);
  }
  assert.equal(stored.length, 1000);
  assert.deepEqual(new Set(stored.map((r) => r.message)).size, 1000);
  for (const name of ["a", "b"]) assert.equal(stored.filter((r) => r.message?.startsWith(`${name}-`)).length, 500);
  const byId = new Map(stored.map((r) => [r.id, r]));
  for (const r of returned) assert.deepEqual(byId.get(r.id), r, `record ${r.seq} as returned is the one stored`);
  for (let i = 1; i < stored.length; i++) assert.equal(stored[i]!.prevHash, stored[i - 1]!.hash);
  // Both writers interleaved: the race was real.
  const switches = stored.filter((r, i) => i > 0 && r.message![0] !== stored[i - 1]!.message![0]).length;
  assert.ok(switches > 1, `writers interleaved (${switches} switches)`);

  const result = await verifyAuditLog(reader, { publicKeys: [signer.publicKey] });
  assert.equal(result.ok, true, JSON.stringify(result.broken));
  assert.equal(result.records, 1000);
  assert.equal(result.provedThrough, 1000);
  assert.ok(result.checkpoints >= 10);
});

test("a writer whose head is stale appends after the other writer's records", async () => {
  const table = await newTable();
  const first = store(table);
  const second = store(table);
  await first.append(issuedEvent()); // seq 1
  const two = await second.append(issuedEvent()); // second reads the head (1) and appends 2
  const three = await first.append(refusedEvent()); // first still believes the head is 1: loses, re-reads, appends 3
  const four = await second.append(issuedEvent()); // second still believes the head is 2
  assert.deepEqual([two.seq, three.seq, four.seq], [2, 3, 4]);
  assert.equal(three.prevHash, two.hash);
  assert.equal(four.prevHash, three.hash);
  assert.equal((await verifyAuditLog(first)).ok, true);
});

test("an append that has spent its contention budget fails closed with KUBECA_AUDIT_UNAVAILABLE and stores nothing", async () => {
  const table = await newTable();
  const first = store(table);
  const stale = store(table, { contentionBudgetMs: 0 });
  await stale.append(issuedEvent()); // seq 1: stale now caches head 1
  await first.append(issuedEvent({ message: "first" })); // seq 2, behind stale's back
  await assert.rejects(stale.append(refusedEvent({ message: "lost" })), (e: KubecaError) => {
    assert.equal(e.code, "KUBECA_AUDIT_UNAVAILABLE");
    assert.match(e.detail, /^the audit table lost the race for the next seq to 1 concurrent appends in 0 ms; no record was stored$/);
    assert.equal(e.retryAfter, 2);
    return true;
  });
  const stored: AuditRecord[] = [];
  for await (const entry of store(table).chain()) if ("value" in entry) stored.push(entry.value);
  assert.deepEqual(stored.map((r) => r.seq), [1, 2], "nothing after seq 2");
  assert.equal(stored[1]!.message, "first");
});

test("records read back newest first, filtered, and paged with a cursor", async () => {
  const table = await newTable();
  const s = store(table);
  for (let i = 0; i < 7; i++) await s.append(i % 2 ? refusedEvent({ node: "worker-1" }) : issuedEvent({ serial: `0${i}` }));
  const page1 = await s.read({ limit: 3 });
  assert.deepEqual(page1.records.map((r) => r.seq), [7, 6, 5]);
  assert.ok(page1.nextCursor);
  const page2 = await s.read({ limit: 3, cursor: page1.nextCursor });
  assert.deepEqual(page2.records.map((r) => r.seq), [4, 3, 2]);
  assert.deepEqual((await s.read({ event: "refused" })).records.map((r) => r.seq), [6, 4, 2]);
  assert.deepEqual((await s.read({ node: "worker-1", limit: 2 })).records.map((r) => r.seq), [6, 4]);
  assert.deepEqual((await s.read({ serial: "4" })).records.map((r) => r.seq), [5]);
});

test("a table that does not exist makes append reject with KUBECA_AUDIT_UNAVAILABLE", async () => {
  const s = store("no-such-table");
  await assert.rejects(
    s.append(issuedEvent()),
    (e) => e instanceof KubecaError && e.code === "KUBECA_AUDIT_UNAVAILABLE" && e.retryAfter !== undefined && !/no-such-table/.test(e.detail),
  );
  await assert.rejects(s.ready(), (e) => e instanceof KubecaError && e.code === "KUBECA_AUDIT_UNAVAILABLE");
});

test("a record edited in the table is named by verify as modified", async () => {
  const table = await newTable();
  const s = store(table);
  for (let i = 0; i < 4; i++) await s.append(issuedEvent());
  const client = dynamo.client();
  const item = (
    await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: "#c = :c AND #s = :s",
        ExpressionAttributeNames: { "#c": "chain", "#s": "seq" },
        ExpressionAttributeValues: { ":c": { S: "kubeca" }, ":s": { N: "3" } },
      }),
    )
  ).Items![0]!;
  const record = JSON.parse(item.record!.S!);
  record.result.serial = "ffff";
  await client.send(new PutItemCommand({ TableName: table, Item: { ...item, record: { S: canonicalJson(record) } } }));
  const { broken } = await verifyAuditLog(s);
  assert.deepEqual({ kind: broken?.kind, seq: broken?.seq, location: broken?.location }, { kind: "modified", seq: 3, location: "item seq=3" });
});
