// When the CA's KMS key fails to sign — throttled, hung, disabled, denied — through the real SDK and
// the local KMS server: the caller gets 503 with Retry-After and no certificate, the audit log gets a
// signing-failed record with the request and the reason before the answer, and /readyz tells the
// truth about the key within one check interval, at once after a failed signature.
import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import type { AuditEvent, AuditLog, AuditRecord } from "../../src/audit/types.js";
import { createTokenAuthenticator } from "../../src/auth/bearer-token.js";
import { main } from "../../src/cli/main.js";
import { KubecaError } from "../../src/errors/index.js";
import { buildServer } from "../../src/server/index.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { csrFor } from "./section6.js";
import { startService, writeConfig, type FixtureOptions, type ServiceFixture } from "./service-fixture.js";

process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
process.env.AWS_SECRET_ACCESS_KEY = "secret";
process.env.AWS_REGION = "us-east-1";
process.env.AWS_EC2_METADATA_DISABLED = "true";

const TOKEN = "cp-1-token-for-signer-failure-tests";
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const quiet = { stdout: new Writable({ write: (_c, _e, cb) => cb() }), stderr: new Writable({ write: (_c, _e, cb) => cb() }) };

/** Polls `condition` until it holds: the periodic check runs on its own timer. */
async function eventually(what: string, condition: () => Promise<boolean>, capMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > capMs) assert.fail(`${what} did not happen`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Setup {
  kms: KmsServer;
  caKey: { keyId: string; arn: string };
  fx: ServiceFixture;
  app: FastifyInstance;
}

/** Three KMS-backed CAs made by `kubeca ca init`, a service over them, and its HTTP app. */
async function setUp(options: Pick<FixtureOptions, "audit" | "keyCheckIntervalMs"> = {}): Promise<Setup> {
  const kms = await startKmsServer();
  const keys = { ca: await kms.createKey("ECC_NIST_P256"), "etcd-ca": await kms.createKey("ECC_NIST_P256"), "front-proxy-ca": await kms.createKey("ECC_NIST_P256") };
  // ca's timeout leaves room for the SDK's retries of a throttled call; etcd-ca's is short, for the hung call.
  const signer = (k: { arn: string }, timeoutMs: number) => ({ type: "aws-kms", keyId: k.arn, endpoint: kms.url, timeoutMs });
  const edit = (raw: Record<string, any>) => (raw.callers = { tokens: [{ name: "cp-1", sha256: createHash("sha256").update(TOKEN).digest("hex"), node: "cp-1" }] });
  const written = await writeConfig({ signers: { ca: signer(keys.ca, 10_000), "etcd-ca": signer(keys["etcd-ca"], 300), "front-proxy-ca": signer(keys["front-proxy-ca"], 10_000) }, edit });
  assert.equal(await main(["ca", "init", "--config", written.configPath], { ...quiet, env: process.env, cwd: process.cwd() }), 0);
  const fx = await startService({ dev: false, ...options }, written);
  const { config } = fx.service;
  const app = buildServer({ service: fx.service, authenticator: createTokenAuthenticator(config.callers.tokens, config.nodes), logger: false });
  await app.ready();
  return { kms, caKey: keys.ca, fx, app };
}

async function tearDown(s: Setup | undefined): Promise<void> {
  await s?.app.close();
  await s?.fx.close();
  await s?.kms.close();
}

const sign = (s: Setup, name = "admin.conf") => s.app.inject({ method: "POST", url: "/v1/sign", headers, payload: { name, csr: csrFor(name) } });
const readyz = async (s: Setup) => {
  const res = await s.app.inject({ method: "GET", url: "/readyz" });
  return { status: res.statusCode, ca: (res.json().checks as { name: string; ok: boolean; detail: string }[]).find((c) => c.name === "signer:ca")! };
};

describe("a CA key that fails to sign", () => {
  let s: Setup;
  // The periodic check is slowed down here, so only a failed signature can explain a change.
  before(async () => (s = await setUp({ keyCheckIntervalMs: 3_600_000 })));
  after(() => tearDown(s));
  afterEach(() => {
    s.kms.clearFaults();
    s.kms.enableKey(s.caKey.keyId);
  });

  it("throttled: 503 with Retry-After and no certificate, and a signing-failed record with the request and reason throttled", async () => {
    const before = (await s.fx.auditLines()).length;
    s.kms.fail("ThrottlingException", 10, "Sign");
    const res = await sign(s);
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers["retry-after"], "1");
    assert.equal(res.json().code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.doesNotMatch(res.body, /BEGIN CERTIFICATE|Rate exceeded/);
    const added = (await s.fx.auditLines()).slice(before);
    assert.deepEqual(added.map((r) => r.event), ["signing-failed"]);
    const record = added[0]!;
    assert.deepEqual(record.failure, { issuer: "ca", code: "KUBECA_SIGNER_UNAVAILABLE", reason: "throttled" });
    assert.equal(record.request.file, "admin.conf");
    assert.equal(record.request.profile, "admin.conf");
    assert.match(record.request.csrSha256, /^[0-9a-f]{64}$/);
    assert.equal(record.actor.node, "cp-1");
    assert.equal(record.requestId, res.json().requestId);
    assert.equal(record.message, res.json().detail, "the record says what the caller was told");
  });

  it("a Sign call that hangs: 503 after the signer's timeout, recorded with reason timed-out", async () => {
    const before = (await s.fx.auditLines()).length;
    s.kms.fail("hang", 3, "Sign");
    const res = await sign(s, "etcd/healthcheck-client");
    assert.equal(res.statusCode, 503);
    const added = (await s.fx.auditLines()).slice(before);
    assert.deepEqual(added.map((r) => [r.event, r.failure?.issuer, r.failure?.reason]), [["signing-failed", "etcd-ca", "timed-out"]]);
  });

  it("disabled: 503 with the fix in detail, recorded as key-disabled, and /readyz not ready at once; ready again once enabled", async () => {
    assert.equal((await readyz(s)).status, 200);
    const before = (await s.fx.auditLines()).length;
    s.kms.disableKey(s.caKey.keyId);
    const res = await sign(s);
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers["retry-after"], "30");
    assert.match(res.json().detail, /is disabled; enable it \(aws kms enable-key\) or point the CA at an enabled key/);
    const added = (await s.fx.auditLines()).slice(before);
    assert.deepEqual(added.map((r) => [r.event, r.failure?.reason]), [["signing-failed", "key-disabled"]]);
    const after = await readyz(s);
    assert.equal(after.status, 503);
    assert.equal(after.ca.ok, false);
    assert.match(after.ca.detail, /is disabled; enable it/);
    s.kms.enableKey(s.caKey.keyId);
    // The next failure-free check comes from the immediate re-check after another failure, or the timer.
    s.kms.fail("ThrottlingException", 10, "Sign");
    assert.equal((await sign(s)).statusCode, 503);
    s.kms.clearFaults();
    await eventually("readiness after the key was enabled", async () => (await readyz(s)).status === 200);
    assert.equal((await sign(s)).statusCode, 200);
  });

  it("access denied on Sign: 503 telling which permission to grant, recorded as access-denied", async () => {
    const before = (await s.fx.auditLines()).length;
    s.kms.fail("AccessDeniedException", 1, "Sign");
    const res = await sign(s);
    assert.equal(res.statusCode, 503);
    assert.match(res.json().detail, /allow kms:GetPublicKey and kms:Sign/);
    const added = (await s.fx.auditLines()).slice(before);
    assert.deepEqual(added.map((r) => [r.event, r.failure?.reason]), [["signing-failed", "access-denied"]]);
  });

  it("a batch whose items fail to sign records each failure and answers 503", async () => {
    const before = (await s.fx.auditLines()).length;
    s.kms.fail("ThrottlingException", 10, "Sign");
    const res = await s.app.inject({ method: "POST", url: "/v1/sign/batch", headers, payload: { items: [{ name: "admin.conf", csr: csrFor("admin.conf") }] } });
    assert.equal(res.statusCode, 503);
    assert.deepEqual((await s.fx.auditLines()).slice(before).map((r) => r.event), ["signing-failed"]);
  });
});

describe("a CA key disabled while no request comes", () => {
  let s: Setup;
  before(async () => (s = await setUp({ keyCheckIntervalMs: 100 })));
  after(() => tearDown(s));

  it("is reported not ready by the periodic check, and ready again once enabled", async () => {
    await eventually("ready at start", async () => (await readyz(s)).status === 200);
    const signs = s.kms.signCount(s.caKey.arn);
    s.kms.disableKey(s.caKey.keyId);
    await eventually("not ready after the key was disabled", async () => (await readyz(s)).status === 503);
    assert.match((await readyz(s)).ca.detail, /is disabled/);
    s.kms.enableKey(s.caKey.keyId);
    await eventually("ready after the key was enabled", async () => (await readyz(s)).status === 200);
    assert.equal(s.kms.signCount(s.caKey.arn), signs, "the checks never sign");
  });
});

describe("a signer failure while the audit store is down", () => {
  let s: Setup;
  const audit: AuditLog = {
    async append(_event: AuditEvent): Promise<AuditRecord> {
      throw new KubecaError("KUBECA_AUDIT_UNAVAILABLE", "the audit store did not confirm the write", { retryAfter: 2 });
    },
  };
  before(async () => (s = await setUp({ audit, keyCheckIntervalMs: 3_600_000 })));
  after(() => tearDown(s));

  it("is still answered 503 with no certificate", async () => {
    s.kms.fail("ThrottlingException", 10, "Sign");
    const res = await sign(s);
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().code, "KUBECA_SIGNER_UNAVAILABLE");
    s.kms.clearFaults();
    s.kms.disableKey(s.caKey.keyId);
    const disabled = await sign(s);
    assert.equal(disabled.statusCode, 503);
    assert.doesNotMatch(disabled.body, /BEGIN CERTIFICATE/);
  });

  it("a misconfigured key (500 on its own) becomes the audit store's 503: no answer goes out unrecorded", async () => {
    s.kms.enableKey(s.caKey.keyId);
    s.kms.fail("InvalidKeyUsageException", 1, "Sign");
    const res = await sign(s);
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().code, "KUBECA_AUDIT_UNAVAILABLE");
  });
});
