// Idempotent issuance through the real pipeline and KMS-protocol signers: the same caller sending the same
// CSR for the same file within the window gets the same certificate and no second KMS signature; every
// hand-back is audited as `reissued`; the DynamoDB store (dynalite) is shared by service instances.
import { Writable } from "node:stream";
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { main } from "../../src/cli/main.js";
import { KubecaError } from "../../src/errors/index.js";
import type { IdempotencyStore } from "../../src/issuance/idempotency-store.js";
import { AUDIT_TABLE_ATTRIBUTES, AUDIT_TABLE_KEY_SCHEMA } from "../../src/audit/dynamodb-store.js";
import { IDEMPOTENCY_TABLE_ATTRIBUTES, IDEMPOTENCY_TABLE_KEY_SCHEMA } from "../../src/issuance/dynamodb-idempotency-store.js";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { startDynalite, type Dynalite } from "../support/dynalite.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { csrFor } from "./section6.js";
import { CP1, CP2, ORIGIN, startService, writeConfig, type FixtureOptions, type ServiceFixture } from "./service-fixture.js";

process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
process.env.AWS_SECRET_ACCESS_KEY = "secret";
process.env.AWS_REGION = "us-east-1";
process.env.AWS_EC2_METADATA_DISABLED = "true";

/** A clock the tests move: the service reads it for the window and for certificate dates. */
function clock() {
  let t = Date.now();
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

const quiet = new Writable({ write: (_c, _e, cb) => cb() });

/** The spec §6 cluster with KMS keys for the three CAs, CA certificates made by `kubeca ca init`. */
async function kmsConfig(kms: KmsServer, edit?: FixtureOptions["edit"]): Promise<{ dir: string; configPath: string; caArn: string }> {
  const ca = await kms.createKey("ECC_NIST_P256");
  const etcd = await kms.createKey("ECC_NIST_P256");
  const fp = await kms.createKey("ECC_NIST_P256");
  const signer = (arn: string) => ({ type: "aws-kms", keyId: arn, endpoint: kms.url });
  const written = await writeConfig({
    signers: { ca: signer(ca.arn), "etcd-ca": signer(etcd.arn), "front-proxy-ca": signer(fp.arn) },
    ...(edit ? { edit } : {}),
  });
  const code = await main(["ca", "init", "--config", written.configPath], { stdout: quiet, stderr: quiet, env: process.env, cwd: process.cwd() });
  assert.equal(code, 0);
  return { ...written, caArn: ca.arn };
}

const issuedEvents = async (fx: ServiceFixture) => (await fx.auditLines()).filter((l) => l.event === "issued" || l.event === "reissued");

describe("idempotent issuance (memory store, KMS signer)", () => {
  let kms: KmsServer;
  let fx: ServiceFixture;
  let caArn: string;
  const time = clock();
  before(async () => {
    kms = await startKmsServer();
    const written = await kmsConfig(kms);
    caArn = written.caArn;
    fx = await startService({ dev: false, now: time.now }, written);
  });
  after(async () => {
    await fx?.close();
    await kms?.close();
  });

  it("the same CSR twice within the window: identical certificate bytes and one KMS Sign call", async () => {
    const csr = csrFor("admin.conf");
    const signs = kms.signCount(caArn);
    const first = await fx.service.sign(CP1, ORIGIN, { name: "admin.conf", csr });
    time.advance(9 * 60_000);
    const second = await fx.service.sign(CP1, { ...ORIGIN, requestId: "req-2" }, { name: "admin.conf", csr });
    assert.equal(second.certificate, first.certificate);
    assert.deepEqual(second, first);
    assert.equal(kms.signCount(caArn) - signs, 1);
  });

  it("the hand-back is audited as reissued, with the first certificate's result and request", async () => {
    const csr = csrFor("scheduler.conf");
    const before = (await fx.auditLines()).length;
    await fx.service.sign(CP1, { ...ORIGIN, requestId: "req-first" }, { name: "scheduler.conf", csr });
    await fx.service.sign(CP1, { ...ORIGIN, requestId: "req-again" }, { name: "scheduler.conf", csr });
    const lines = (await fx.auditLines()).slice(before);
    assert.equal(lines.length, 2);
    const [issued, reissued] = lines as [Record<string, any>, Record<string, any>];
    assert.equal(issued.event, "issued");
    assert.equal(reissued.event, "reissued");
    assert.equal(reissued.requestId, "req-again");
    assert.deepEqual(reissued.result, issued.result);
    assert.deepEqual(reissued.request, issued.request);
    assert.match(reissued.message, /certificate of request req-first is returned, nothing was signed/);
  });

  it("after the window the same CSR gets a new certificate", async () => {
    const csr = csrFor("controller-manager.conf");
    const signs = kms.signCount(caArn);
    const first = await fx.service.sign(CP1, ORIGIN, { name: "controller-manager.conf", csr });
    time.advance(10 * 60_000 + 1);
    const second = await fx.service.sign(CP1, ORIGIN, { name: "controller-manager.conf", csr });
    assert.notEqual(second.certificate, first.certificate);
    assert.notEqual(second.serial, first.serial);
    assert.equal(kms.signCount(caArn) - signs, 2);
  });

  it("a new CSR for the same file gets a new certificate", async () => {
    const signs = kms.signCount(caArn);
    const first = await fx.service.sign(CP1, ORIGIN, { name: "admin.conf", csr: csrFor("admin.conf") });
    const second = await fx.service.sign(CP1, ORIGIN, { name: "admin.conf", csr: csrFor("admin.conf") });
    assert.notEqual(second.certificate, first.certificate);
    assert.equal(kms.signCount(caArn) - signs, 2);
  });

  it("the same CSR from another caller is signed for that caller", async () => {
    // admin.conf carries no node name, so cp-1's CSR is a valid request from cp-2 as well.
    const csr = csrFor("admin.conf");
    const a = await fx.service.sign(CP1, ORIGIN, { name: "admin.conf", csr });
    const b = await fx.service.sign(CP2, ORIGIN, { name: "admin.conf", csr });
    assert.notEqual(b.serial, a.serial);
  });

  it("two concurrent identical requests make one signature and get the same certificate", async () => {
    const csr = csrFor("admin.conf");
    const signs = kms.signCount(caArn);
    kms.setLatency(50); // both requests are surely in flight while the first is at KMS
    try {
      const [a, b] = await Promise.all([
        fx.service.sign(CP1, { ...ORIGIN, requestId: "con-a" }, { name: "admin.conf", csr }),
        fx.service.sign(CP1, { ...ORIGIN, requestId: "con-b" }, { name: "admin.conf", csr }),
      ]);
      assert.equal(a.certificate, b.certificate);
    } finally {
      kms.setLatency(0);
    }
    assert.equal(kms.signCount(caArn) - signs, 1);
    const events = (await issuedEvents(fx)).filter((l) => l.requestId === "con-a" || l.requestId === "con-b").map((l) => `${l.requestId} ${l.event}`);
    assert.deepEqual(events, ["con-a issued", "con-b reissued"]);
  });

  it("a legacy name is the same file: etcd-server after etcd/server gets the same certificate, named as asked", async () => {
    const csr = csrFor("etcd/server");
    const first = await fx.service.sign(CP1, ORIGIN, { name: "etcd/server", csr });
    const again = await fx.service.sign(CP1, ORIGIN, { name: "etcd-server", csr });
    assert.equal(again.certificate, first.certificate);
    assert.equal(again.name, "etcd-server");
  });

  it("a refused request is never remembered: the same CSR is refused again, and audited again", async () => {
    const csr = csrFor("apiserver");
    const before = (await fx.auditLines()).length;
    for (let i = 0; i < 2; i++) {
      const e = await fx.service.sign(CP2, ORIGIN, { name: "apiserver", csr }).catch((x: unknown) => x);
      assert.equal((e as KubecaError).code, "KUBECA_POLICY_VIOLATION");
    }
    assert.deepEqual((await fx.auditLines()).slice(before).map((l) => l.event), ["refused", "refused"]);
  });

  it("a failed signature is not remembered: the retry signs", async () => {
    const csr = csrFor("admin.conf");
    kms.fail("ThrottlingException", 10, "Sign");
    try {
      const e = await fx.service.sign(CP1, ORIGIN, { name: "admin.conf", csr }).catch((x: unknown) => x);
      assert.equal((e as KubecaError).code, "KUBECA_SIGNER_UNAVAILABLE");
    } finally {
      kms.clearFaults();
    }
    const signs = kms.signCount(caArn);
    const ok = await fx.service.sign(CP1, ORIGIN, { name: "admin.conf", csr });
    assert.match(ok.certificate, /BEGIN CERTIFICATE/);
    assert.equal(kms.signCount(caArn) - signs, 1);
  });
});

describe("idempotent issuance with a store that fails", () => {
  let fx: ServiceFixture;
  const warnings: string[] = [];
  const broken: IdempotencyStore = {
    get: async () => {
      throw new Error("store down");
    },
    put: async () => {
      throw new Error("store down");
    },
  };
  before(async () => {
    fx = await startService({});
  });
  beforeEach(() => (warnings.length = 0));
  after(() => fx?.close());

  it("issues anyway and warns: the store saves signatures, it does not decide", async () => {
    const { createIssuanceService } = await import("../../src/issuance/create-service.js");
    const { loadConfigFile } = await import("../../src/config/index.js");
    const service = await createIssuanceService(await loadConfigFile(fx.configPath), {
      dev: true,
      idempotencyStore: broken,
      onWarning: (m) => warnings.push(m),
    });
    try {
      const result = await service.sign(CP1, ORIGIN, { name: "admin.conf", csr: csrFor("admin.conf") });
      assert.match(result.certificate, /BEGIN CERTIFICATE/);
      assert.deepEqual(warnings.map((w) => w.split(";")[0]), ["idempotency store unreadable", "idempotency store unwritable"]);
    } finally {
      await service.close();
    }
  });
});

describe("the DynamoDB idempotency store (dynalite), shared by two service instances", () => {
  let kms: KmsServer;
  let dynamo: Dynalite;
  let a: ServiceFixture;
  let b: ServiceFixture;
  let caArn: string;
  const time = clock();
  before(async () => {
    kms = await startKmsServer();
    dynamo = await startDynalite();
    await dynamo.client().send(
      new CreateTableCommand({
        TableName: "kubeca-idempotency",
        KeySchema: IDEMPOTENCY_TABLE_KEY_SCHEMA,
        AttributeDefinitions: IDEMPOTENCY_TABLE_ATTRIBUTES,
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    await dynamo.client().send(
      new CreateTableCommand({ TableName: "kubeca-audit", KeySchema: AUDIT_TABLE_KEY_SCHEMA, AttributeDefinitions: AUDIT_TABLE_ATTRIBUTES, BillingMode: "PAY_PER_REQUEST" }),
    );
    const written = await kmsConfig(kms, (raw) => {
      raw.idempotency = { store: "dynamodb", table: "kubeca-idempotency", endpoint: dynamo.endpoint, region: "us-east-1" };
      // Two writers of one chain need the store built for it: a file has one writer (docs/audit.md).
      raw.audit = { store: "dynamodb", table: "kubeca-audit", endpoint: dynamo.endpoint, region: "us-east-1" };
    });
    caArn = written.caArn;
    // Two instances of one deployment: same config, same KMS keys, same table; separate processes' state.
    a = await startService({ dev: false, now: time.now }, written);
    b = await startService({ dev: false, now: time.now }, written);
  });
  after(async () => {
    await a?.service.close();
    await b?.close();
    await dynamo?.close();
    await kms?.close();
  });

  it("a retry that reaches the other instance gets the same certificate, with no second signature", async () => {
    const csr = csrFor("admin.conf");
    const signs = kms.signCount(caArn);
    const first = await a.service.sign(CP1, ORIGIN, { name: "admin.conf", csr });
    const second = await b.service.sign(CP1, ORIGIN, { name: "admin.conf", csr });
    assert.equal(second.certificate, first.certificate);
    assert.equal(kms.signCount(caArn) - signs, 1);
  });

  it("after the window the other instance signs anew, even before DynamoDB's TTL removed the item", async () => {
    const csr = csrFor("scheduler.conf");
    const first = await a.service.sign(CP1, ORIGIN, { name: "scheduler.conf", csr });
    time.advance(10 * 60_000 + 1000);
    const signs = kms.signCount(caArn);
    const second = await b.service.sign(CP1, ORIGIN, { name: "scheduler.conf", csr });
    assert.notEqual(second.certificate, first.certificate);
    assert.equal(kms.signCount(caArn) - signs, 1);
    // ...and the new certificate is now the one remembered.
    const third = await a.service.sign(CP1, ORIGIN, { name: "scheduler.conf", csr });
    assert.equal(third.certificate, second.certificate);
  });

  it("a different caller's identical CSR is not served from another caller's entry", async () => {
    const csr = csrFor("admin.conf");
    const first = await a.service.sign(CP1, ORIGIN, { name: "admin.conf", csr });
    const other = await b.service.sign(CP2, ORIGIN, { name: "admin.conf", csr });
    assert.notEqual(other.serial, first.serial);
  });
});
