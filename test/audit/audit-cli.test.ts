// `kubeca audit list|verify|export`, run in-process against real files, with exit codes and output checked.
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { test, type TestContext } from "node:test";
import { checkpointPathFor, createFileAuditStore, CSV_COLUMNS } from "../../src/audit/index.js";
import type { CliIo } from "../../src/cli/command.js";
import { auditExportCommand, auditListCommand, auditVerifyCommand } from "../../src/cli/commands/audit.js";
import { COMMANDS } from "../../src/cli/main.js";
import { UsageError } from "../../src/cli/flags.js";
import { createMemorySigner } from "../../src/signers/memory.js";
import { issuedEvent, refusedEvent, steppingClock, tempDir } from "./audit-fixtures.js";

const signer = createMemorySigner("ECDSA-P256");

function capture(cwd: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (b: Buffer) => out.push(b));
  stderr.on("data", (b: Buffer) => err.push(b));
  const io: CliIo = { stdout, stderr, env: {}, cwd };
  return { io, stdout: () => Buffer.concat(out).toString("utf8"), stderr: () => Buffer.concat(err).toString("utf8") };
}

/** A log in `dir`: 6 records (issued on cp-1/cp-2, refused on worker-1), checkpoints every 3, and the key as PEM. */
async function logIn(t: TestContext) {
  const dir = await tempDir(t);
  const records = join(dir, "logs", "audit.jsonl");
  const store = createFileAuditStore({
    paths: { records, checkpoints: checkpointPathFor(records) },
    now: steppingClock("2026-03-01T10:00:00.000Z", 60_000),
    randomUUID: () => crypto.randomUUID(),
    checkpoints: { signer, everyRecords: 3, everyMs: 3_600_000, onError: (e) => assert.fail(String(e)) },
  });
  await store.append(issuedEvent({ node: "cp-1", serial: "0a" }));
  await store.append(refusedEvent({ node: "worker-1" }));
  await store.append(issuedEvent({ node: "cp-2", serial: "0b", request: { ...issuedEvent().request!, subject: 'CN=a, "quoted", O=b' } }));
  await store.append(issuedEvent({ node: "cp-1", serial: "0c" }));
  await store.append(refusedEvent({ node: "worker-1" }));
  await store.append(issuedEvent({ node: "cp-2", serial: "0d" }));
  await store.close();
  const keyFile = join(dir, "checkpoint-key.pem");
  await writeFile(keyFile, createPublicKey({ key: Buffer.from(signer.publicKey), format: "der", type: "spki" }).export({ format: "pem", type: "spki" }));
  return { dir, records, keyFile };
}

test("audit list prints the newest records first as a table", async (t) => {
  const { dir } = await logIn(t);
  const c = capture(dir);
  assert.equal(await auditListCommand.run(["--file", "logs/audit.jsonl", "--limit", "4"], c.io), 0);
  const rows = c.stdout().trimEnd().split("\n");
  assert.match(rows[0]!, /^SEQ\s+TIME\s+EVENT\s+NODE\s+IDENTITY\s+FILE\s+OUTCOME$/);
  assert.deepEqual(rows.slice(1).map((r) => r.split(/\s+/)[0]), ["6", "5", "4", "3"]);
  assert.match(rows[2]!, /refused\s+worker-1\s+worker-1-token\s+apiserver\s+san\.dns\[0\]: dns-not-allowed/);
  assert.match(rows[1]!, /serial 0d by ca, until 2027-03-01T10:00:00.000Z/);
  assert.match(c.stderr(), /more records: add --cursor \S+/);
});

test("audit list --output json filters by event and node and returns the page with its cursor", async (t) => {
  const { dir } = await logIn(t);
  const c = capture(dir);
  assert.equal(await auditListCommand.run(["--file", "logs/audit.jsonl", "--event", "issued", "--node", "cp-2", "--output", "json"], c.io), 0);
  const page = JSON.parse(c.stdout());
  assert.deepEqual(page.records.map((r: { seq: number }) => r.seq), [6, 3]);
  assert.equal(page.nextCursor, null);
});

test("audit list reads the store a config names, relative to the config's folder", async (t) => {
  const { dir } = await logIn(t);
  await writeFile(
    join(dir, "kubeca.yaml"),
    [
      "apiVersion: kubeca.dev/v1alpha1",
      "kind: Config",
      "cluster: { etcd: { local: false } }",
      'cas: { ca: { certificate: { pem: "-----BEGIN CERTIFICATE-----\\nMA==\\n-----END CERTIFICATE-----" }, signer: { type: memory } } }',
      "nodes: [ { name: cp-1, role: control-plane, advertiseAddress: 10.0.0.1 } ]",
      "audit: { path: logs/audit.jsonl }",
    ].join("\n"),
  );
  const c = capture("/");
  assert.equal(await auditListCommand.run(["--config", join(dir, "kubeca.yaml"), "--serial", "0C", "--output", "json"], c.io), 0);
  assert.deepEqual(JSON.parse(c.stdout()).records.map((r: { seq: number }) => r.seq), [4]);
});

test("audit verify exits 0 on an intact log and says the head is proved by a signed checkpoint", async (t) => {
  const { dir, keyFile } = await logIn(t);
  const c = capture(dir);
  assert.equal(await auditVerifyCommand.run(["--file", "logs/audit.jsonl", "--public-key", keyFile], c.io), 0);
  assert.match(c.stdout(), /^OK: 6 records, chain intact from record 1 to 6/);
  assert.match(c.stdout(), /checkpoints: 2; signatures checked against 1 key\(s\)/);
  assert.match(c.stdout(), /head proved by a signed checkpoint \(record 6\)/);
});

test("audit verify exits 0 on a log with a torn last line and says what the torn bytes are", async (t) => {
  const { dir, records, keyFile } = await logIn(t);
  await writeFile(records, (await readFile(records, "utf8")) + '{"actor":{"meth');
  const c = capture(dir);
  assert.equal(await auditVerifyCommand.run(["--file", records, "--public-key", keyFile], c.io), 0);
  assert.match(c.stdout(), /^OK: 6 records/);
  assert.match(c.stdout(), /torn tail: 15 bytes after the last newline of audit\.jsonl \(a write cut off by a crash, never acknowledged/);
});

test("audit verify exits 1 and names the removed record", async (t) => {
  const { dir, records, keyFile } = await logIn(t);
  const lines = (await readFile(records, "utf8")).split("\n");
  lines.splice(1, 1);
  await writeFile(records, lines.join("\n"));
  const c = capture(dir);
  assert.equal(await auditVerifyCommand.run(["--file", records, "--public-key", keyFile], c.io), 1);
  assert.match(c.stdout(), /^BROKEN: removed at record 2 \(line 2\)\n  record 2 was removed/);
});

test("audit verify --output json reports a forged checkpoint, and without --public-key warns that signatures were not checked", async (t) => {
  const { dir, records, keyFile } = await logIn(t);
  const cpFile = checkpointPathFor(records);
  const cps = (await readFile(cpFile, "utf8")).trimEnd().split("\n");
  await writeFile(cpFile, cps.map((l) => l.replace(/"time":"[^"]+"/, '"time":"2030-01-01T00:00:00.000Z"')).join("\n") + "\n");
  const c = capture(dir);
  assert.equal(await auditVerifyCommand.run(["--file", records, "--public-key", keyFile, "--output", "json"], c.io), 1);
  const result = JSON.parse(c.stdout());
  assert.equal(result.broken.kind, "forged-checkpoint");
  assert.equal(result.broken.seq, 3);
  const unchecked = capture(dir);
  assert.equal(await auditVerifyCommand.run(["--file", records], unchecked.io), 0);
  assert.match(unchecked.stdout(), /signatures NOT checked \(pass --public-key\)/);
});

test("audit export --format csv writes the fixed header and one properly quoted row per record", async (t) => {
  const { dir } = await logIn(t);
  const c = capture(dir);
  assert.equal(await auditExportCommand.run(["--file", "logs/audit.jsonl", "--format", "csv"], c.io), 0);
  const text = c.stdout();
  const rows = text.split("\r\n");
  assert.equal(rows[0], CSV_COLUMNS.map(([name]) => name).join(","));
  assert.equal(rows.length, 1 + 6 + 1, "header, six records, and the empty rest after the last CRLF");
  assert.match(rows[3]!, /^3,2026-03-01T10:\d\d:00\.000Z,[0-9a-f-]{36},issued,req-1,token,cp-2-token,cp-2,/);
  assert.ok(rows[3]!.includes(',"CN=a, ""quoted"", O=b",'), rows[3]);
  assert.ok(rows[2]!.includes(",san.dns[0] dns-not-allowed: evil.example.com is not a name of cp-1,"), rows[2]);
});

test("audit export --format jsonl --out FILE writes records that verify on their own", async (t) => {
  const { dir } = await logIn(t);
  const c = capture(dir);
  assert.equal(await auditExportCommand.run(["--file", "logs/audit.jsonl", "--format", "jsonl", "--out", "export.jsonl"], c.io), 0);
  assert.match(c.stderr(), /wrote 6 records to export\.jsonl/);
  assert.equal(await readFile(join(dir, "export.jsonl"), "utf8"), await readFile(join(dir, "logs", "audit.jsonl"), "utf8"));
  const v = capture(dir);
  assert.equal(await auditVerifyCommand.run(["--file", "export.jsonl"], v.io), 0);
});

test("audit export with a filter writes only the matching records", async (t) => {
  const { dir } = await logIn(t);
  const c = capture(dir);
  assert.equal(await auditExportCommand.run(["--file", "logs/audit.jsonl", "--format", "jsonl", "--event", "refused"], c.io), 0);
  assert.deepEqual(c.stdout().trimEnd().split("\n").map((l) => JSON.parse(l).seq), [2, 5]);
});

test("each audit command has --help text naming its flags, and refuses unknown flags and missing sources", async (t) => {
  const dir = await tempDir(t);
  const auditCommands = COMMANDS.filter((cmd) => cmd.path[0] === "audit");
  assert.deepEqual(auditCommands.map((cmd) => cmd.path.join(" ")), ["audit list", "audit verify", "audit export", "audit inventory"]);
  for (const cmd of auditCommands) {
    assert.match(cmd.help, new RegExp(`^Usage: kubeca ${cmd.path.join(" ")} `));
    for (const flag of ["--config FILE", "--file PATH"]) assert.ok(cmd.help.includes(flag), `${cmd.path.join(" ")} help names ${flag}`);
    await assert.rejects((await cmd.load()).run(["--bogus"], capture(dir).io), UsageError);
  }
  await assert.rejects(auditListCommand.run([], capture(dir).io), /--config FILE or --file PATH/);
  await assert.rejects(auditExportCommand.run(["--file", "x.jsonl", "--format", "xml"], capture(dir).io), /--format must be jsonl or csv/);
  await assert.rejects(auditListCommand.run(["--file", "x.jsonl", "--event", "bogus"], capture(dir).io), /not an event type/);
});

test("audit list on a missing file fails as unavailable, naming the path", async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(auditListCommand.run(["--file", "nope.jsonl"], capture(dir).io), (e: Error & { code?: string }) => {
    assert.equal(e.code, "KUBECA_AUDIT_UNAVAILABLE");
    assert.match(e.message, /there is no audit log file at .*nope\.jsonl/);
    return true;
  });
});

test("audit verify --checkpoint with a saved mirror stream catches a cut that also deleted the log's checkpoints", async (t) => {
  const { dir, records, keyFile } = await logIn(t);
  const cpFile = checkpointPathFor(records);
  // What CloudWatch kept: every record and checkpoint line, interleaved.
  const saved = join(dir, "mirror.jsonl");
  await writeFile(saved, (await readFile(records, "utf8")) + (await readFile(cpFile, "utf8")));
  const lines = (await readFile(records, "utf8")).split("\n");
  await writeFile(records, lines.slice(0, 4).join("\n") + "\n");
  await writeFile(cpFile, "");
  const quiet = capture(dir);
  assert.equal(await auditVerifyCommand.run(["--file", records, "--public-key", keyFile], quiet.io), 0, "the cut alone is invisible");
  const c = capture(dir);
  assert.equal(await auditVerifyCommand.run(["--file", records, "--public-key", keyFile, "--checkpoint", saved], c.io), 1);
  assert.match(c.stdout(), /^BROKEN: truncated at record 5 \(checkpoint \S*mirror\.jsonl line 8\)\n  the log ends at record 4, but the checkpoint signed at \S+ proves record 6/);
});

test("audit verify --file reads a saved mirror stream as a log: records and checkpoints interleaved", async (t) => {
  const { dir, records, keyFile } = await logIn(t);
  const cps = (await readFile(checkpointPathFor(records), "utf8")).trimEnd().split("\n");
  const recs = (await readFile(records, "utf8")).trimEnd().split("\n");
  await writeFile(join(dir, "mirror.jsonl"), [...recs.slice(0, 3), cps[0], ...recs.slice(3), cps[1]].join("\n") + "\n");
  const c = capture(dir);
  assert.equal(await auditVerifyCommand.run(["--file", "mirror.jsonl", "--public-key", keyFile, "--output", "json"], c.io), 0);
  const result = JSON.parse(c.stdout());
  assert.deepEqual([result.records, result.checkpoints, result.provedThrough], [6, 2, 6]);
});
