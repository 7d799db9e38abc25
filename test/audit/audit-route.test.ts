// GET /v1/audit through supertest against a listening server, registered as the app factory will: under the /v1 prefix.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import Fastify from "fastify";
import { checkpointPathFor, createFileAuditStore, type AuditReader } from "../../src/audit/index.js";
import { ERRORS, isKubecaError, KubecaError } from "../../src/errors/index.js";
import { auditRoutes } from "../../src/server/routes/audit.js";
import { listen } from "../support/http.js";
import { issuedEvent, refusedEvent, steppingClock, tempDir } from "./audit-fixtures.js";

async function appWith(t: TestContext, authorize = async () => {}) {
  const path = join(await tempDir(t), "audit.jsonl");
  const store = createFileAuditStore({ paths: { records: path, checkpoints: checkpointPathFor(path) }, now: steppingClock(), randomUUID: () => crypto.randomUUID() });
  for (let i = 0; i < 8; i++) await store.append(i % 2 ? refusedEvent({ node: "worker-1" }) : issuedEvent({ serial: `0${i}` }));
  let reads = 0;
  const reader: AuditReader = { ...store, read: (q) => (reads++, store.read(q)) };
  const app = Fastify();
  // Stands in for the root problem+json handler the app factory installs.
  app.setErrorHandler((e, _req, reply) => {
    const k = isKubecaError(e) ? e : new KubecaError("KUBECA_INTERNAL", "internal");
    return reply.code(ERRORS[k.code].status).send({ code: k.code, detail: k.detail, violations: k.violations });
  });
  await app.register(auditRoutes, { prefix: "/v1", reader, authorize });
  t.after(() => store.close());
  const http = await listen(app, (fn) => t.after(fn));
  return { http, reads: () => reads };
}

test("GET /v1/audit returns records newest first with a cursor that continues the list", async (t) => {
  const { http } = await appWith(t);
  const first = await http.get("/v1/audit?limit=5");
  assert.equal(first.statusCode, 200);
  assert.equal(first.headers["cache-control"], "no-store");
  const page1 = first.body;
  assert.deepEqual(page1.records.map((r: { seq: number }) => r.seq), [8, 7, 6, 5, 4]);
  assert.equal(typeof page1.nextCursor, "string");
  const page2 = (await http.get(`/v1/audit?limit=5&cursor=${encodeURIComponent(page1.nextCursor)}`)).body;
  assert.deepEqual(page2.records.map((r: { seq: number }) => r.seq), [3, 2, 1]);
  assert.equal(page2.nextCursor, null);
});

test("GET /v1/audit filters by decision, node and serial", async (t) => {
  const { http } = await appWith(t);
  const seqs = async (qs: string) => (await http.get(`/v1/audit?${qs}`)).body.records.map((r: { seq: number }) => r.seq);
  assert.deepEqual(await seqs("decision=refused"), [8, 6, 4, 2]);
  assert.deepEqual(await seqs("event=issued&node=cp-1&limit=2"), [7, 5]);
  assert.deepEqual(await seqs("serial=04"), [5]);
  assert.deepEqual(await seqs("decision=issued,refused&since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z"), []);
});

test("GET /v1/audit refuses a limit above 500, unknown parameters and unknown decisions with 400 naming each", async (t) => {
  const { http } = await appWith(t);
  const res = await http.get("/v1/audit?limit=501&color=red&decision=approved&since=yesterday");
  assert.equal(res.statusCode, 400);
  const body = res.body;
  assert.equal(body.code, "KUBECA_BAD_REQUEST");
  assert.deepEqual(
    body.violations.map((v: { field: string; rule: string }) => `${v.field} ${v.rule}`).sort(),
    ["query.color unknown-field", "query.decision format", "query.limit format", "query.since format"],
  );
  assert.equal((await http.get("/v1/audit?limit=500")).statusCode, 200);
  assert.equal((await http.get("/v1/audit?cursor=garbage")).statusCode, 400);
});

test("GET /v1/audit asks authorize first: a refused caller gets its error and the log is not read", async (t) => {
  const { http, reads } = await appWith(t, async () => {
    throw new KubecaError("KUBECA_FORBIDDEN", "only the auditor role may read the audit log");
  });
  const res = await http.get("/v1/audit?limit=9999");
  assert.equal(res.statusCode, 403);
  assert.equal(res.body.code, "KUBECA_FORBIDDEN");
  assert.equal(reads(), 0);
});
