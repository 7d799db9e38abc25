// The fleet view (`kubeca audit inventory`) from real audit logs the test writes: several nodes,
// superseded certificates, a node that stopped renewing, refusals and denials that hand nothing out,
// kubelet certificates signed for a node (and for one that asked with a bootstrap token), the same
// events in a file log and in DynamoDB on dynalite, with exact rows, order and exit codes; a retired node
// leaves the rows until a later certificate brings it back. The last
// test issues through the real pipeline and reads the serials it was answered.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, describe, it, type TestContext } from "node:test";
import type { V1CertificateSigningRequest } from "@kubernetes/client-node";
import { stringify } from "yaml";
import {
  CertificateInventory,
  checkpointPathFor,
  createAuditLog,
  createFileAuditReader,
  createFileAuditStore,
  type AuditEvent,
  type AuditLog,
  startLiveInventory,
  type AuditReader,
  type AuditRecord,
  type InventoryRow,
} from "../../src/audit/index.js";
import { createDynamoDbAuditStore } from "../../src/audit/dynamodb-store.js";
import type { CliIo } from "../../src/cli/command.js";
import { createAuditInventoryCommand } from "../../src/cli/commands/audit-inventory.js";
import { main } from "../../src/cli/main.js";
import { kubeletAuditEvent } from "../../src/kubelet/audit-event.js";
import { Reasons } from "../../src/kubelet/reasons.js";
import { CP1, CP2, ORIGIN, startService } from "../issuance/service-fixture.js";
import { csrFor } from "../issuance/section6.js";
import { startDynalite, type Dynalite } from "../support/dynalite.js";
import { issuedEvent, refusedEvent, steppingClock, tempDir } from "./audit-fixtures.js";

const NOW = new Date("2026-03-20T00:00:00.000Z");

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

function capture(cwd: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (b: Buffer) => out.push(b));
  stderr.on("data", (b: Buffer) => err.push(b));
  const io: CliIo = { stdout, stderr, env: process.env, cwd };
  return { io, stdout: () => Buffer.concat(out).toString("utf8"), stderr: () => Buffer.concat(err).toString("utf8") };
}

async function inventory(argv: string[], cwd: string, now = NOW) {
  const c = capture(cwd);
  const code = await createAuditInventoryCommand({ now: () => now }).run(argv, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

function issued(node: string, file: string, serial: string, notAfter: string, profile = file): AuditEvent {
  const base = issuedEvent({ node, serial });
  return { ...base, request: { ...base.request!, file, profile }, result: { ...base.result!, serial, notAfter } };
}

/** A kubelet CSR as the apiserver holds it, for the kubelet signer's audit records. */
function kubeletCsr(name: string, signerName: string, username: string): V1CertificateSigningRequest {
  return { metadata: { name, uid: `uid-${name}` }, spec: { signerName, username, groups: ["system:nodes"], request: "", usages: [] } } as V1CertificateSigningRequest;
}

function kubeletSigned(event: "kubelet-csr-signed" | "node-client-csr-signed", node: string, username: string, serial: string, notAfter: string): AuditEvent {
  const signer = event === "kubelet-csr-signed" ? "kubernetes.io/kubelet-serving" : "kubernetes.io/kube-apiserver-client-kubelet";
  const parsed = { sha256: "a".repeat(64), publicKeySha256: "b".repeat(64), keyAlgorithm: { type: "ec", namedCurve: "P-256" }, commonNames: [`system:node:${node}`], organizations: ["system:nodes"], dnsNames: [], ipAddresses: [] };
  return kubeletAuditEvent({
    event,
    csr: kubeletCsr(`csr-${serial}`, signer, username),
    parsed: parsed as never,
    reason: event === "kubelet-csr-signed" ? Reasons.ServingCertificateIssued : Reasons.ClientCertificateIssued,
    message: "signed",
    issued: { certificate: { serialHex: serial, notBefore: new Date("2026-01-01T00:00:00Z"), notAfter: new Date(notAfter), sha256: "c".repeat(64) } as never, issuer: "ca" },
  });
}

/** Twelve records; seven rows survive. */
const EVENTS: readonly AuditEvent[] = [
  issued("cp-1", "apiserver", "a1", "2027-03-01T10:00:00.000Z"),
  issued("cp-1", "admin.conf", "a2", "2027-03-01T10:00:00.000Z"),
  // cp-2 renewed once and then stopped: its apiserver certificate is the one about to expire.
  issued("cp-2", "apiserver", "b1", "2026-04-10T00:00:00.000Z"),
  refusedEvent({ node: "cp-1" }),
  // Supersedes a1.
  issued("cp-1", "apiserver", "a3", "2027-03-15T00:00:00.000Z"),
  // The legacy --csr-only name counts under the canonical file.
  issued("cp-1", "etcd-server", "a4", "2027-03-15T00:00:00.000Z", "etcd/server"),
  // Expired ten days before NOW.
  kubeletSigned("kubelet-csr-signed", "worker-1", "system:node:worker-1", "c1", "2026-03-10T00:00:00.000Z"),
  // A bootstrap token asked: the certificate is still worker-2's, named by its CN.
  kubeletSigned("node-client-csr-signed", "worker-2", "system:bootstrap:abcdef", "c2", "2027-01-01T00:00:00.000Z"),
  issued("cp-2", "kubelet.conf", "b2", "2026-05-01T00:00:00.000Z"),
  // The kubelet rotated: its client certificate from a CSR replaces the kubelet.conf from the API.
  kubeletSigned("node-client-csr-signed", "cp-2", "system:node:cp-2", "b3", "2027-02-01T00:00:00.000Z"),
  { ...kubeletSigned("kubelet-csr-signed", "worker-3", "system:node:worker-3", "d1", "2027-01-01T00:00:00.000Z"), event: "kubelet-csr-denied", result: undefined },
  // The same CSR again within the idempotency window: the row is a2, handed out last by this record.
  { ...issued("cp-1", "admin.conf", "a2", "2027-03-01T10:00:00.000Z"), event: "reissued" },
];

const EXPECTED = [
  { node: "worker-1", file: "kubelet-serving", serial: "c1", notAfter: "2026-03-10T00:00:00.000Z", seq: 7, event: "kubelet-csr-signed", secondsLeft: -10 * 86400, due: true },
  { node: "cp-2", file: "apiserver", serial: "b1", notAfter: "2026-04-10T00:00:00.000Z", seq: 3, event: "issued", secondsLeft: 21 * 86400, due: true },
  { node: "worker-2", file: "kubelet.conf", serial: "c2", notAfter: "2027-01-01T00:00:00.000Z", seq: 8, event: "node-client-csr-signed", secondsLeft: 287 * 86400, due: false },
  { node: "cp-2", file: "kubelet.conf", serial: "b3", notAfter: "2027-02-01T00:00:00.000Z", seq: 10, event: "node-client-csr-signed", secondsLeft: 318 * 86400, due: false },
  { node: "cp-1", file: "admin.conf", serial: "a2", notAfter: "2027-03-01T10:00:00.000Z", seq: 12, event: "reissued", secondsLeft: 346 * 86400 + 36000, due: false },
  { node: "cp-1", file: "apiserver", serial: "a3", notAfter: "2027-03-15T00:00:00.000Z", seq: 5, event: "issued", secondsLeft: 360 * 86400, due: false },
  { node: "cp-1", file: "etcd/server", serial: "a4", notAfter: "2027-03-15T00:00:00.000Z", seq: 6, event: "issued", secondsLeft: 360 * 86400, due: false },
];

async function appendAll(log: AuditLog & { close(): Promise<void> }): Promise<void> {
  for (const e of EVENTS) await log.append(e);
  await log.close();
}

/** The JSON rows without what differs per store (ids, times, issuer text). */
function essentials(json: { certificates: Record<string, unknown>[] }) {
  return json.certificates.map(({ node, file, serial, notAfter, seq, event, secondsLeft, due }) => ({ node, file, serial, notAfter, seq, event, secondsLeft, due }));
}

async function fileLog(t: TestContext): Promise<{ dir: string; records: string }> {
  const dir = await tempDir(t);
  const records = join(dir, "audit.jsonl");
  await appendAll(createFileAuditStore({ paths: { records, checkpoints: checkpointPathFor(records) }, now: steppingClock(), randomUUID: () => crypto.randomUUID() }));
  return { dir, records };
}

const retired = (node: string): AuditEvent => ({
  event: "node-retired",
  requestId: "req-retire",
  actor: { method: "token", identity: "platform-team", node: undefined, sourceIp: "10.0.0.99", userAgent: "kubeca/0.1.0" },
  node,
  message: "decommissioned",
});
/** cp-2 is issued two files, retired, then (re-added) issued kubelet.conf again; cp-1 is untouched. */
const RETIRE_EVENTS: readonly AuditEvent[] = [
  issued("cp-1", "apiserver", "a1", "2027-03-01T10:00:00.000Z"),
  issued("cp-2", "apiserver", "b1", "2026-04-10T00:00:00.000Z"),
  issued("cp-2", "kubelet.conf", "b2", "2026-04-01T00:00:00.000Z"),
  retired("cp-2"),
  // A refused retirement names a node too, and removes nothing.
  { ...retired("cp-1"), event: "refused", violations: [{ field: "node", rule: "node-in-config", message: "cp-1 is still listed under nodes: in the config" }] },
  issued("cp-2", "kubelet.conf", "b3", "2027-02-01T00:00:00.000Z"),
];


describe("kubeca audit inventory", () => {
  it("reads a file log into one row per node and file, the latest certificate each, soonest expiry first", async (t) => {
    const { dir, records } = await fileLog(t);
    const r = await inventory(["--file", records, "--expiring-within", "30d", "--output", "json"], dir);
    assert.equal(r.code, 1, "something is due within 30 days");
    const json = JSON.parse(r.stdout);
    assert.equal(json.now, NOW.toISOString());
    assert.equal(json.expiringWithinSeconds, 30 * 86400);
    assert.deepEqual(json.unreadable, []);
    assert.deepEqual(essentials(json), EXPECTED);
    assert.equal(r.stderr, "kubeca audit inventory: 2 certificate(s) expired or expiring within 30d: worker-1 kubelet-serving (expired), cp-2 apiserver\n");
  });

  it("prints a table like kubeadm's, and without a window only what has expired is due", async (t) => {
    const { dir, records } = await fileLog(t);
    const r = await inventory(["--file", records], dir);
    assert.equal(r.code, 1);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^NODE\s+FILE\s+EXPIRES\s+RESIDUAL TIME\s+SERIAL\s+ISSUED$/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 5)),
      [
        ["worker-1", "kubelet-serving", "Mar 10, 2026 00:00 UTC", "<invalid>", "c1"],
        ["cp-2", "apiserver", "Apr 10, 2026 00:00 UTC", "21d", "b1"],
        ["worker-2", "kubelet.conf", "Jan 01, 2027 00:00 UTC", "287d", "c2"],
        ["cp-2", "kubelet.conf", "Feb 01, 2027 00:00 UTC", "318d", "b3"],
        ["cp-1", "admin.conf", "Mar 01, 2027 10:00 UTC", "346d", "a2"],
        ["cp-1", "apiserver", "Mar 15, 2027 00:00 UTC", "360d", "a3"],
        ["cp-1", "etcd/server", "Mar 15, 2027 00:00 UTC", "360d", "a4"],
      ],
    );
    assert.equal(r.stderr, "kubeca audit inventory: 1 certificate(s) expired or expiring within 0s: worker-1 kubelet-serving (expired)\n");
  });

  it("exits 0 when nothing is due", async (t) => {
    const { dir, records } = await fileLog(t);
    const r = await inventory(["--file", records, "--expiring-within", "1d"], dir, new Date("2026-03-01T00:00:00.000Z"));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
  });

  it("an unreadable record fails the run and is named, since it may have been a node's latest certificate", async (t) => {
    const { dir, records } = await fileLog(t);
    const { appendFile } = await import("node:fs/promises");
    await appendFile(records, "{not json\n");
    const r = await inventory(["--file", records, "--output", "json"], dir, new Date("2026-03-01T00:00:00.000Z"));
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).unreadable, ["line 13"]);
    assert.match(r.stderr, /1 record\(s\) could not be read \(line 13\); the rows may miss a node's latest certificate; run kubeca audit verify/);
  });

  it("the live inventory's start-up read stops where records start arriving through observe, instead of reading them again", async (t) => {
    const { records } = await fileLog(t);
    const reader = createFileAuditReader({ records, checkpoints: checkpointPathFor(records) });
    const all: AuditRecord[] = [];
    for await (const entry of reader.chain()) if ("value" in entry) all.push(entry.value);
    assert.equal(all.length, EVENTS.length);
    const pulled: number[] = [];
    const counting: AuditReader = {
      ...reader,
      async *chain() {
        for await (const entry of reader.chain()) {
          if ("value" in entry) pulled.push(entry.value.seq);
          yield entry;
        }
      },
    };
    const live = startLiveInventory(counting);
    // As a server appending under load: records 6… reach the inventory from the append path first.
    for (const record of all.slice(5)) live.observe(record);
    await waitUntil(() => live.loaded());
    assert.deepEqual(pulled, [1, 2, 3, 4, 5, 6], "the file is read up to the first record observed live, not past it");
    const whole = new CertificateInventory();
    for (const record of all) whole.observe(record);
    assert.deepEqual(live.inventory.rows(), whole.rows());
  });

  it("an empty log has no rows and nothing due; a missing one (2) and a bad window (2) are usage errors", async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, "empty.jsonl"), "");
    const empty = await inventory(["--file", join(dir, "empty.jsonl")], dir);
    assert.deepEqual([empty.code, empty.stdout], [0, "no certificates in the audit log\n"]);
    const out = capture(dir);
    assert.equal(await main(["audit", "inventory", "--file", join(dir, "missing.jsonl")], out.io), 2);
    assert.match(out.stderr(), /there is no audit log file at .*missing\.jsonl/);
    const bad = capture(dir);
    assert.equal(await main(["audit", "inventory", "--file", join(dir, "empty.jsonl"), "--expiring-within", "soon"], bad.io), 2);
    assert.match(bad.stderr(), /--expiring-within must be a duration like 87600h, 720h, 30d or 90m, not "soon"/);
  });

  describe("with the DynamoDB store (dynalite)", () => {
    let dynamo: Dynalite;
    before(async () => {
      dynamo = await startDynalite();
    });
    after(() => dynamo.close());

    /** `kubeca audit inventory --expiring-within 30d --output json` with a config naming the chain in `table`. */
    async function inventoryOfTable(t: TestContext, table: string) {
      const dir = await tempDir(t);
      const config = {
        apiVersion: "kubeca.dev/v1alpha1",
        kind: "Config",
        cluster: { kubernetesVersion: "1.31", controlPlaneEndpoint: "k8s.example.internal:6443", etcd: { local: false } },
        cas: { ca: { certificate: { file: "pki/ca.crt" }, signer: { type: "memory", algorithm: "ECDSA-P256" } } },
        nodes: [{ name: "cp-1", role: "control-plane", advertiseAddress: "10.0.0.10" }],
        audit: { store: "dynamodb", table, chain: "prod", region: "us-east-1", endpoint: dynamo.endpoint },
      };
      await writeFile(join(dir, "kubeca.yaml"), stringify(config));
      process.env.AWS_ACCESS_KEY_ID ??= "test";
      process.env.AWS_SECRET_ACCESS_KEY ??= "test";
      return inventory(["--config", join(dir, "kubeca.yaml"), "--expiring-within", "30d", "--output", "json"], dir);
    }

    it("reads the same rows from a chain in DynamoDB through --config", async (t) => {
      await dynamo.createAuditTable("kubeca-audit");
      await appendAll(createDynamoDbAuditStore({ client: dynamo.client(), table: "kubeca-audit", chain: "prod", now: steppingClock(), randomUUID: () => crypto.randomUUID() }));
      const r = await inventoryOfTable(t, "kubeca-audit");
      assert.equal(r.code, 1, r.stderr);
      assert.deepEqual(essentials(JSON.parse(r.stdout)), EXPECTED);
    });

    it("leaves out a retired node's earlier certificates in DynamoDB too", async (t) => {
      await dynamo.createAuditTable("kubeca-retire");
      const log = createDynamoDbAuditStore({ client: dynamo.client(), table: "kubeca-retire", chain: "prod", now: steppingClock(), randomUUID: () => crypto.randomUUID() });
      for (const e of RETIRE_EVENTS) await log.append(e);
      await log.close();
      const r = await inventoryOfTable(t, "kubeca-retire");
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).certificates.map((c: Record<string, unknown>) => [c.node, c.file, c.serial, c.seq]), [
        ["cp-2", "kubelet.conf", "b3", 6],
        ["cp-1", "apiserver", "a1", 1],
      ]);
    });
  });

  it("after real issuance: the serials the pipeline answered, the superseded one gone", async (t) => {
    const fx = await startService();
    t.after(() => fx.close());
    const first = await fx.service.sign(CP1, ORIGIN, { name: "apiserver", csr: csrFor("apiserver") });
    const admin = await fx.service.sign(CP1, ORIGIN, { name: "admin.conf", csr: csrFor("admin.conf") });
    const cp2 = await fx.service.sign(CP2, ORIGIN, { name: "apiserver", csr: csrFor("apiserver") }).catch((e: unknown) => e);
    assert.ok(cp2 instanceof Error, "cp-2 may not have cp-1's names: a refusal, no row");
    const renewed = await fx.service.sign(CP1, ORIGIN, { name: "apiserver", csr: csrFor("apiserver") });
    assert.notEqual(renewed.serial, first.serial);
    // The kubelet signer's serving certificate for cp-1, in the same log (a second writer after the first closed).
    await fx.service.close();
    const log = await createAuditLog({ store: "file", path: "audit.jsonl", chain: "kubeca", stdout: false }, fx.dir);
    await log.append(kubeletSigned("kubelet-csr-signed", "cp-1", "system:node:cp-1", "fe01", "2027-01-01T00:00:00.000Z"));
    await log.close();

    const r = await inventory(["--file", join(fx.dir, "audit.jsonl"), "--output", "json"], fx.dir, new Date(first.notBefore));
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout).certificates.map((c: Record<string, string>) => [c.node, c.file, c.serial, c.notAfter]);
    const expected = [
      ["cp-1", "kubelet-serving", "fe01", "2027-01-01T00:00:00.000Z"],
      ["cp-1", "admin.conf", admin.serial, admin.notAfter],
      ["cp-1", "apiserver", renewed.serial, renewed.notAfter],
    ].sort((a, b) => Date.parse(a[3]!) - Date.parse(b[3]!) || a[1]!.localeCompare(b[1]!));
    assert.deepEqual(rows, expected);
  });

  describe("a retired node", () => {
    async function retireLog(t: TestContext): Promise<{ dir: string; records: string; stored: AuditRecord[] }> {
      const dir = await tempDir(t);
      const records = join(dir, "audit.jsonl");
      const log = createFileAuditStore({ paths: { records, checkpoints: checkpointPathFor(records) }, now: steppingClock(), randomUUID: () => crypto.randomUUID() });
      const stored: AuditRecord[] = [];
      for (const e of RETIRE_EVENTS) stored.push(await log.append(e));
      await log.close();
      return { dir, records, stored };
    }

    it("leaves out what the node was issued before its retirement, and keeps what it was issued after", async (t) => {
      const { dir, records, stored } = await retireLog(t);
      assert.equal(stored[3]!.node, "cp-2");
      assert.equal(stored[3]!.message, "decommissioned");
      const r = await inventory(["--file", records, "--expiring-within", "30d", "--output", "json"], dir);
      assert.equal(r.code, 0, `cp-2's apiserver (due in 21 days) was retired: ${r.stderr}`);
      assert.deepEqual(
        JSON.parse(r.stdout).certificates.map((c: Record<string, unknown>) => [c.node, c.file, c.serial, c.seq]),
        [
          ["cp-2", "kubelet.conf", "b3", 6],
          ["cp-1", "apiserver", "a1", 1],
        ],
      );
      const verified = await main(["audit", "verify", "--file", records], capture(dir).io);
      assert.equal(verified, 0);
    });

    it("tells its listener which rows left, and reaches the same rows whatever order the records arrive in", async (t) => {
      const { records } = await retireLog(t);
      const read: AuditRecord[] = [];
      for await (const entry of createFileAuditReader({ records, checkpoints: checkpointPathFor(records) }).chain()) if ("value" in entry) read.push(entry.value);
      assert.equal(read.length, RETIRE_EVENTS.length);

      const removed: InventoryRow[] = [];
      const changed: string[] = [];
      const inOrder = new CertificateInventory({ onChange: (row) => changed.push(row.serial), onRemove: (row) => removed.push(row) });
      for (const record of read) inOrder.observe(record);
      assert.deepEqual(changed, ["a1", "b1", "b2", "b3"]);
      assert.deepEqual(removed.map((row) => [row.node, row.file, row.serial]).sort(), [["cp-2", "apiserver", "b1"], ["cp-2", "kubelet.conf", "b2"]]);
      assert.equal(inOrder.retiredAt("cp-2"), 4);
      assert.equal(inOrder.retiredAt("cp-1"), undefined);

      // Live: the start-up read may meet older records after a retirement appended meanwhile.
      const reversed = new CertificateInventory();
      for (const record of [...read].reverse()) reversed.observe(record);
      assert.deepEqual(reversed.rows(), inOrder.rows());
      assert.deepEqual(inOrder.rows().map((row) => row.serial), ["b3", "a1"]);
    });
  });
});
