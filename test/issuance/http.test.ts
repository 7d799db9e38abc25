// The signing service as a node sees it: fastify routes over the real pipeline, bearer tokens from the
// config, problem+json answers, and fail-closed behaviour when the audit store is down.
import { createHash, X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import type { AuditEvent, AuditLog, AuditRecord } from "../../src/audit/types.js";
import { createTokenAuthenticator } from "../../src/auth/bearer-token.js";
import { KubecaError } from "../../src/errors/index.js";
import { buildServer } from "../../src/server/index.js";
import { buildCsr, withCommonName, withDnsNames, withIpAddresses } from "../support/csr-builder.js";
import { SECTION_6, csrFor } from "./section6.js";
import { startService, type FixtureOptions, type ServiceFixture } from "./service-fixture.js";
import { listen, type HttpClient } from "../support/http.js";

const CP1_TOKEN = "cp-1-secret-token-for-tests";
const sha = (t: string) => createHash("sha256").update(t).digest("hex");

async function startApp(options: FixtureOptions = {}): Promise<{ fx: ServiceFixture; app: FastifyInstance; http: HttpClient }> {
  const fx = await startService({
    ...options,
    edit: (raw) => {
      raw.callers = { tokens: [{ name: "cp-1", sha256: sha(CP1_TOKEN), node: "cp-1" }] };
      options.edit?.(raw);
    },
  });
  const { config } = fx.service;
  const app = buildServer({ service: fx.service, authenticator: createTokenAuthenticator(config.callers.tokens, config.nodes), logger: false });
  return { fx, app, http: await listen(app) };
}

const auth = { authorization: `Bearer ${CP1_TOKEN}`, "content-type": "application/json" };

describe("POST /v1/sign and /v1/sign/batch over the real pipeline", () => {
  let fx: ServiceFixture;
  let app: FastifyInstance;
  let http: HttpClient;
  before(async () => ({ fx, app, http } = await startApp()));
  after(async () => {
    await app.close();
    await fx.close();
  });

  it("signs admin.conf for the node's token and returns the CA with it", async () => {
    const res = await http.post("/v1/sign").set(auth).send({ name: "admin.conf", csr: csrFor("admin.conf") });
    assert.equal(res.statusCode, 200, res.text);
    const body = res.body;
    assert.equal(body.issuer, "ca");
    assert.equal(body.caCertificate, await fx.caPem("ca"));
    assert.ok(new X509Certificate(body.certificate).verify(new X509Certificate(body.caCertificate).publicKey));
  });

  it("signs all twelve kubeadm files in one batch, in order", async () => {
    const names = Object.keys(SECTION_6);
    const res = await http.post("/v1/sign/batch").set(auth).send({ items: names.map((name) => ({ name, csr: csrFor(name, "RSA-2048") })) });
    assert.equal(res.statusCode, 200, res.text);
    const items = res.body.items as { name: string; certificate?: string; problem?: unknown }[];
    assert.deepEqual(items.map((i) => i.name), names);
    assert.ok(items.every((i) => i.certificate && !i.problem));
  });

  it("a refused item in a batch carries its own problem; the others are signed", async () => {
    const bad = buildCsr(withCommonName("kube-apiserver"), withDnsNames("cp-1"), withIpAddresses("10.0.0.10")).pem;
    const res = await http.post("/v1/sign/batch").set(auth).send({ items: [{ name: "apiserver", csr: bad }, { name: "admin.conf", csr: csrFor("admin.conf") }] });
    assert.equal(res.statusCode, 200);
    const [first, second] = res.body.items;
    assert.equal(first.problem.status, 403);
    assert.ok(first.problem.violations.some((v: { rule: string }) => v.rule === "required-san-missing"));
    assert.ok(second.certificate);
  });

  it("names from another node are a 403 problem listing each violation", async () => {
    const csr = buildCsr(withCommonName("cp-2"), withDnsNames("cp-2", "localhost"), withIpAddresses("10.0.0.11", "127.0.0.1", "::1")).pem;
    const res = await http.post("/v1/sign").set(auth).send({ name: "etcd/server", csr });
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers["content-type"], "application/problem+json; charset=utf-8");
    const problem = res.body;
    assert.equal(problem.code, "KUBECA_POLICY_VIOLATION");
    assert.ok(problem.violations.length >= 3);
    assert.ok(problem.violations.some((v: { message: string }) => v.message.includes("cp-2")));
  });

  it("no token is 401, recorded in the audit log without any credential", async () => {
    const res = await http.post("/v1/sign").set({ "content-type": "application/json", authorization: "Bearer not-a-real-token" }).send({ name: "admin.conf", csr: csrFor("admin.conf") });
    assert.equal(res.statusCode, 401);
    assert.match(String(res.headers["www-authenticate"]), /^Bearer/);
    const last = (await fx.auditLines()).at(-1)!;
    assert.equal(last.event, "authentication-failed");
    assert.doesNotMatch(JSON.stringify(last), /not-a-real-token/);
  });

  it("malformed JSON, unknown fields and oversized bodies are refused before anything is signed", async () => {
    const lines = (await fx.auditLines()).filter((l) => l.event === "issued").length;
    const malformed = await http.post("/v1/sign").set(auth).send('{"name": "admin.conf", "csr": ');
    assert.equal(malformed.statusCode, 400);
    const unknown = await http.post("/v1/sign").set(auth).send({ name: "admin.conf", csr: csrFor("admin.conf"), validity: "100y" });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.body.detail, /validity/);
    const huge = await http.post("/v1/sign").set(auth).send({ name: "admin.conf", csr: "A".repeat(70 * 1024) });
    assert.equal(huge.statusCode, 413);
    assert.equal((await fx.auditLines()).filter((l) => l.event === "issued").length, lines);
  });

  it("GET /v1/ca lists the three CAs", async () => {
    const res = await http.get("/v1/ca");
    assert.deepEqual(res.body.cas.map((c: { name: string }) => c.name), ["ca", "etcd-ca", "front-proxy-ca"]);
  });
});

describe("fail closed on the audit store", () => {
  let fx: ServiceFixture;
  let app: FastifyInstance;
  let http: HttpClient;
  const appended: AuditEvent[] = [];
  let down = false;
  const audit: AuditLog = {
    async append(event: AuditEvent): Promise<AuditRecord> {
      if (down) throw new KubecaError("KUBECA_AUDIT_UNAVAILABLE", "the audit store did not confirm the write", { retryAfter: 2 });
      appended.push(event);
      return { ...event, seq: appended.length, time: "", id: "", prevHash: "", hash: "" };
    },
  };
  before(async () => ({ fx, app, http } = await startApp({ audit })));
  after(async () => {
    await app.close();
    await fx.close();
  });

  it("answers 503 with Retry-After and no certificate when the record cannot be stored", async () => {
    down = true;
    const res = await http.post("/v1/sign").set(auth).send({ name: "admin.conf", csr: csrFor("admin.conf") });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers["retry-after"], "2");
    assert.doesNotMatch(res.text, /BEGIN CERTIFICATE/);
    const batch = await http.post("/v1/sign/batch").set(auth).send({ items: [{ name: "admin.conf", csr: csrFor("admin.conf") }] });
    assert.equal(batch.statusCode, 503);
    assert.doesNotMatch(batch.text, /BEGIN CERTIFICATE/);
    down = false;
    const ok = await http.post("/v1/sign").set(auth).send({ name: "admin.conf", csr: csrFor("admin.conf") });
    assert.equal(ok.statusCode, 200);
    assert.equal(appended.at(-1)?.event, "issued");
  });
});
