// Requests an authenticated caller shapes to hurt the audit log: text no UTF-8 reader can hold, and
// fields far beyond the schema's bounds. Each is refused and recorded (every refusal after
// authentication is), the record holds the same violations as the answer, and the log still reads
// the same to kubeca and to the independent Python verifier (the fixture's close checks that).
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import { isWellFormed } from "../../src/audit/index.js";
import type { AuditEvent, AuditLog, AuditRecord } from "../../src/audit/types.js";
import { createTokenAuthenticator } from "../../src/auth/bearer-token.js";
import { KubecaError } from "../../src/errors/index.js";
import { buildServer } from "../../src/server/index.js";
import { csrFor } from "./section6.js";
import { startService, type FixtureOptions, type ServiceFixture } from "./service-fixture.js";

const TOKEN = "cp-1-secret-token-for-hostile-tests";
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

async function startApp(options: FixtureOptions = {}): Promise<{ fx: ServiceFixture; app: FastifyInstance }> {
  const fx = await startService({
    ...options,
    edit: (raw) => (raw.callers = { tokens: [{ name: "cp-1", sha256: createHash("sha256").update(TOKEN).digest("hex"), node: "cp-1" }] }),
  });
  const { config } = fx.service;
  const app = buildServer({ service: fx.service, authenticator: createTokenAuthenticator(config.callers.tokens, config.nodes), logger: false });
  await app.ready();
  return { fx, app };
}

describe("hostile requests and the audit log", () => {
  let fx: ServiceFixture;
  let app: FastifyInstance;
  before(async () => ({ fx, app } = await startApp()));
  after(async () => {
    await app.close();
    await fx.close();
  });

  it("a name with a lone surrogate is refused as not Unicode, and its record is valid UTF-8 with the violation naming the surrogate", async () => {
    const before = (await fx.auditLines()).length;
    // Written by hand: JSON.stringify would escape the surrogate the same way, but this is the wire form.
    const res = await app.inject({ method: "POST", url: "/v1/sign", headers, payload: '{"name":"admin.conf\\ud800","csr":"x"}' });
    assert.equal(res.statusCode, 400);
    const violations = res.json().violations;
    assert.deepEqual(violations, [
      { field: "name", rule: "encoding", message: "is not valid Unicode: a lone UTF-16 surrogate (\\ud800 at index 10); send UTF-8 text" },
    ]);
    const lines = await fx.auditLines();
    assert.equal(lines.length, before + 1);
    const record = lines.at(-1)!;
    assert.equal(record.event, "refused");
    assert.equal(record.request.file, "admin.conf\ufffd");
    assert.deepEqual(record.violations, violations);
    // No \uD8xx escape anywhere in the stored line: every string read back is well-formed.
    JSON.parse(JSON.stringify(record), (_key, value: unknown) => (typeof value === "string" ? (assert.ok(isWellFormed(value), value), value) : value));
  });

  it("a name of 2,000 characters is refused by the schema and recorded, truncated to 1,024 with its length", async () => {
    const before = (await fx.auditLines()).length;
    const res = await app.inject({ method: "POST", url: "/v1/sign", headers, payload: { name: "n".repeat(2000), csr: csrFor("admin.conf") } });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json().violations, [{ field: "name", rule: "too-long", message: "must be at most 64 characters" }]);
    const lines = await fx.auditLines();
    assert.equal(lines.length, before + 1, "the schema refusal is recorded");
    const record = lines.at(-1)!;
    assert.deepEqual(
      { event: record.event, file: record.request.file, node: record.actor.node, violations: record.violations },
      { event: "refused", file: "n".repeat(1024) + "…[2000 UTF-16 code units]", node: "cp-1", violations: res.json().violations },
    );
  });

  it("a body of thousands of unknown fields is refused with at most 32 violations, the same in the answer and the record", async () => {
    const body: Record<string, string> = { name: "admin.conf", csr: csrFor("admin.conf") };
    for (let i = 0; i < 3000; i++) body[`f${i}`] = "";
    body["k".repeat(5000)] = "";
    const res = await app.inject({ method: "POST", url: "/v1/sign", headers, payload: body });
    assert.equal(res.statusCode, 400);
    const violations = res.json().violations as { field: string; rule: string; message: string }[];
    assert.equal(violations.length, 32);
    assert.deepEqual(violations.at(-1), { field: "(body)", rule: "more-problems", message: "2970 more problems are not listed" });
    assert.ok(res.body.length < 8192, `the answer is bounded (${res.body.length} bytes)`);
    const record = (await fx.auditLines()).at(-1)!;
    assert.deepEqual(record.violations, violations);
  });

  it("a batch body that breaks the schema is recorded once, with every item's violations", async () => {
    const before = (await fx.auditLines()).length;
    const res = await app.inject({ method: "POST", url: "/v1/sign/batch", headers, payload: { items: [{ name: "admin.conf" }, { name: 7, csr: "x" }] } });
    assert.equal(res.statusCode, 400);
    const lines = await fx.auditLines();
    assert.equal(lines.length, before + 1);
    assert.equal(lines.at(-1)!.request, undefined);
    assert.deepEqual(lines.at(-1)!.violations, res.json().violations);
    assert.deepEqual(res.json().violations.map((v: { field: string; rule: string }) => `${v.field} ${v.rule}`), ["items.0.csr required", "items.1.name type"]);
  });

  it("an unauthenticated body that breaks the schema gets 401 and the credential refusal is what is recorded", async () => {
    const res = await app.inject({ method: "POST", url: "/v1/sign", headers: { "content-type": "application/json" }, payload: { name: "x".repeat(2000) } });
    assert.equal(res.statusCode, 401);
    assert.equal((await fx.auditLines()).at(-1)!.event, "authentication-failed");
  });
});

describe("a schema refusal when the audit store is down", () => {
  let fx: ServiceFixture;
  let app: FastifyInstance;
  const audit: AuditLog = {
    async append(_event: AuditEvent): Promise<AuditRecord> {
      throw new KubecaError("KUBECA_AUDIT_UNAVAILABLE", "the audit store did not confirm the write", { retryAfter: 2 });
    },
  };
  before(async () => ({ fx, app } = await startApp({ audit })));
  after(async () => {
    await app.close();
    await fx.close();
  });

  it("answers 503 with Retry-After: a refusal that cannot be recorded is not answered as if it were", async () => {
    const res = await app.inject({ method: "POST", url: "/v1/sign", headers, payload: { name: "n".repeat(100), csr: "x" } });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers["retry-after"], "2");
    assert.equal(res.json().code, "KUBECA_AUDIT_UNAVAILABLE");
  });
});
