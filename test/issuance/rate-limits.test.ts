// Rate limits over HTTP through createApp and the real pipeline: the configured burst, then 429 with
// Retry-After and nothing issued; a node's 12-file renewal batch passes the defaults.
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import { loadConfigFile } from "../../src/config/index.js";
import { createApp } from "../../src/server/index.js";
import { SECTION_6, csrFor } from "./section6.js";
import { writeConfig } from "./service-fixture.js";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { listen, type HttpClient } from "../support/http.js";

const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const TOKENS = { "cp-1": "cp-1-token-for-rate-limit-tests", "cp-2": "cp-2-token-for-rate-limit-tests" };
const headers = (node: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[node]}`, "content-type": "application/json" });
const CLIENT_FILES = ["admin.conf", "scheduler.conf", "controller-manager.conf", "apiserver-kubelet-client", "front-proxy-client", "etcd/healthcheck-client"];

async function start(rateLimits?: Record<string, unknown>): Promise<{ app: FastifyInstance; http: HttpClient; dir: string; issued: () => Promise<number> }> {
  const { dir, configPath } = await writeConfig({
    edit: (raw) => {
      raw.callers = { tokens: Object.entries(TOKENS).map(([node, t]) => ({ name: `${node}-token`, sha256: sha(t), node })) };
      if (rateLimits) raw.rateLimits = rateLimits;
    },
  });
  const app = await createApp(await loadConfigFile(configPath), { dev: true, logger: false });
  const http = await listen(app);
  const issued = async () =>
    (await readFile(join(dir, "audit.jsonl"), "utf8").catch(() => "")).split("\n").filter((l) => l.includes('"event":"issued"')).length;
  return { app, http, dir, issued };
}

/** A batch of n client files for cp-1 (fresh CSRs: no idempotent hand-backs). */
const batch = (n: number) => ({ items: Array.from({ length: n }, (_, i) => CLIENT_FILES[i % CLIENT_FILES.length]!).map((name) => ({ name, csr: csrFor(name) })) });

describe("rate limits with the defaults", () => {
  let app: FastifyInstance;
  let http: HttpClient;
  let dir: string;
  before(async () => ({ app, http, dir } = await start()));
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a node's 12-file renewal batch passes, and so does its immediate retry", async () => {
    const items = Object.keys(SECTION_6).map((name) => ({ name, csr: csrFor(name, "RSA-2048") }));
    assert.equal(items.length, 12);
    for (let i = 0; i < 2; i++) {
      const res = await http.post("/v1/sign/batch").set(headers("cp-1")).send({ items });
      assert.equal(res.statusCode, 200, res.text);
      assert.ok(res.body.items.every((item: { certificate?: string }) => item.certificate));
    }
  });
});

describe("rate limits at a configured burst", () => {
  let app: FastifyInstance;
  let http: HttpClient;
  let dir: string;
  let issued: () => Promise<number>;
  // Refill so slow that nothing comes back during the test.
  before(async () => ({ app, http, dir, issued } = await start({ perCaller: { ratePerSecond: 0.01, burst: 32 }, overall: { ratePerSecond: 0.01, burst: 40 } })));
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("after the caller's burst: 429 KUBECA_RATE_LIMITED with Retry-After, nothing issued", async () => {
    for (const n of [12, 12]) {
      const ok = await http.post("/v1/sign/batch").set(headers("cp-1")).send(batch(n));
      assert.equal(ok.statusCode, 200, ok.text);
    }
    const before = await issued();
    assert.equal(before, 24);
    const res = await http.post("/v1/sign/batch").set(headers("cp-1")).send(batch(12));
    assert.equal(res.statusCode, 429);
    assert.equal(res.headers["content-type"], "application/problem+json; charset=utf-8");
    assert.equal(res.headers["retry-after"], String(Math.ceil(4 / 0.01)));
    const problem = res.body;
    assert.equal(problem.code, "KUBECA_RATE_LIMITED");
    assert.match(problem.detail, /node cp-1 is over its rate limit/);
    assert.doesNotMatch(res.text, /BEGIN CERTIFICATE/);
    assert.equal(await issued(), before, "nothing issued");
  });

  it("the tokens left still serve a smaller request: a refused batch charged nothing", async () => {
    const res = await http.post("/v1/sign").set(headers("cp-1")).send({ name: "admin.conf", csr: csrFor("admin.conf") });
    assert.equal(res.statusCode, 200, res.text);
  });

  it("another caller with a full bucket of its own meets the overall limit", async () => {
    // The service has 40 - 25 = 15 tokens; cp-2's 12 fit, its next 12 do not.
    const first = await http.post("/v1/sign/batch").set(headers("cp-2")).send(batch(12));
    assert.equal(first.statusCode, 200, first.text);
    const second = await http.post("/v1/sign/batch").set(headers("cp-2")).send(batch(12));
    assert.equal(second.statusCode, 429);
    assert.match(second.body.detail, /overall rate limit/);
  });

  it("a rate limit of less than a full batch is a config error", async () => {
    await assert.rejects(start({ perCaller: { ratePerSecond: 1, burst: 10 } }), (e: { code: string; detail: string }) =>
      e.code === "KUBECA_CONFIG_INVALID" && /rateLimits\.perCaller\.burst: must be at least 32/.test(e.detail));
  });
});

describe("refused credentials are rate limited before they reach the audit log", () => {
  let app: FastifyInstance;
  let http: HttpClient;
  let dir: string;
  before(
    async () =>
      ({ app, http, dir } = await start({
        perCaller: { ratePerSecond: 1, burst: 48 },
        overall: { ratePerSecond: 50, burst: 200 },
        refusedCredentials: { ratePerSecond: 0.001, burst: 32 },
      })),
  );
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("the 33rd bad token from one address is 429 and not recorded; a good token still signs", async () => {
    const bad = { authorization: "Bearer not-a-token", "content-type": "application/json" };
    const payload = { name: "admin.conf", csr: csrFor("admin.conf") };
    for (let i = 0; i < 32; i++) {
      const res = await http.post("/v1/sign").set(bad).send(payload);
      assert.equal(res.statusCode, 401);
    }
    const flooded = await http.post("/v1/sign").set(bad).send(payload);
    assert.equal(flooded.statusCode, 429);
    assert.ok(Number(flooded.headers["retry-after"]) >= 1);
    assert.match(flooded.body.detail, /too many refused credentials/);
    const lines = (await readFile(join(dir, "audit.jsonl"), "utf8")).split("\n").filter((l) => l.includes('"event":"authentication-failed"'));
    assert.equal(lines.length, 32);
    const ok = await http.post("/v1/sign").set(headers("cp-1")).send(payload);
    assert.equal(ok.statusCode, 200);
  });
});
