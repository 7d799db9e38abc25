// The issuance log as an auditor meets it: GET /v1/audit for the auditor role only, every refusal with its
// violations, and a chain whose head `kubeca audit verify` proves with the CA key's signed checkpoint.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import { main } from "../../src/cli/main.js";
import { loadConfigFile } from "../../src/config/index.js";
import { createApp } from "../../src/server/index.js";
import { buildCsr, withCommonName } from "../support/csr-builder.js";
import { csrFor } from "./section6.js";
import { writeConfig } from "./service-fixture.js";
import { listen, type HttpClient } from "../support/http.js";

const NODE_TOKEN = "node-token-for-audit-tests";
const AUDITOR_TOKEN = "auditor-token-for-audit-tests";
const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const json = { "content-type": "application/json" };

async function cli(argv: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const sink = new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) });
  const code = await main(argv, { stdout: sink, stderr: sink, env: process.env, cwd: process.cwd() });
  return { code, out };
}

describe("the audit trail of the signing service", () => {
  let app: FastifyInstance;
  let http: HttpClient;
  let dir: string;
  let configPath: string;
  before(async () => {
    ({ dir, configPath } = await writeConfig({
      edit: (raw) => {
        raw.callers = { tokens: [{ name: "cp-1", sha256: sha(NODE_TOKEN), node: "cp-1" }], auditors: [{ name: "security-team", sha256: sha(AUDITOR_TOKEN) }] };
        raw.audit.checkpoint = { everyRecords: 3, everyMinutes: 60 };
      },
    }));
    app = await createApp(await loadConfigFile(configPath), { dev: true, logger: false });
    http = await listen(app);
    const node = { ...json, authorization: `Bearer ${NODE_TOKEN}` };
    for (const name of ["admin.conf", "scheduler.conf"]) {
      const r = await http.post("/v1/sign").set(node).send({ name, csr: csrFor(name) });
      assert.equal(r.statusCode, 200);
    }
    const refused = await http.post("/v1/sign").set(node).send({ name: "scheduler.conf", csr: buildCsr(withCommonName("kube-scheduler")).pem });
    assert.equal(refused.statusCode, 403);
    const anonymous = await http.post("/v1/sign").set(json).send({ name: "admin.conf", csr: csrFor("admin.conf") });
    assert.equal(anonymous.statusCode, 401);
  });
  after(() => app.close());

  it("a node token may not read the log", async () => {
    const r = await http.get("/v1/audit").set({ authorization: `Bearer ${NODE_TOKEN}` });
    assert.equal(r.statusCode, 403);
    assert.equal(r.body.code, "KUBECA_FORBIDDEN");
  });

  it("an auditor token may not sign", async () => {
    const r = await http.post("/v1/sign").set({ ...json, authorization: `Bearer ${AUDITOR_TOKEN}` }).send({ name: "admin.conf", csr: csrFor("admin.conf") });
    assert.equal(r.statusCode, 403);
  });

  it("the auditor reads every decision, newest first, refusals with their violations", async () => {
    const r = await http.get("/v1/audit?limit=10").set({ authorization: `Bearer ${AUDITOR_TOKEN}` });
    assert.equal(r.statusCode, 200, r.text);
    const records = r.body.records as { seq: number; event: string; violations?: { rule: string }[]; actor: { identity?: string } }[];
    assert.deepEqual(records.map((x) => x.event), ["refused", "authentication-failed", "refused", "issued", "issued"]);
    assert.deepEqual(records.map((x) => x.seq), [5, 4, 3, 2, 1]);
    assert.equal(records[2]!.violations?.[0]?.rule, "common-name-mismatch");
    assert.equal(records[4]!.actor.identity, "cp-1");
    assert.doesNotMatch(r.text, new RegExp(`${NODE_TOKEN}|${AUDITOR_TOKEN}`));
  });

  it("audit verify proves the whole chain with the CA key's checkpoint once the service closes", async () => {
    await app.close(); // writes a last checkpoint over the head
    const verified = await cli(["audit", "verify", "--config", configPath, "--public-key", join(dir, "pki", "ca.crt")]);
    assert.equal(verified.code, 0, verified.out);
    assert.match(verified.out, /head proved by a signed checkpoint \(record 5\)/);
    const wrongKey = await cli(["audit", "verify", "--config", configPath, "--public-key", join(dir, "pki", "etcd", "ca.crt")]);
    assert.equal(wrongKey.code, 1, wrongKey.out);
  });
});
