// Callers of the Lambda deployment, end to end: API Gateway events (HTTP API v2 and REST v1) through
// createHttpHandler → createApp, as dist/lambda/http.mjs runs them, with the CA keys in a local KMS
// server and the audit log and replay cache in DynamoDB (dynalite). Two handlers are two Lambda
// instances of one deployment: they share the CA keys and the tables, nothing else.
//   - IAM callers: the ARN comes from the request context API Gateway wrote, never from a header;
//   - certificate proofs: a proof used on one instance is refused on the other (shared replay table).
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from "aws-lambda";
import { REPLAY_TABLE_ATTRIBUTES, REPLAY_TABLE_KEY_SCHEMA } from "../../src/auth/dynamodb-replay-cache.js";
import { main } from "../../src/cli/main.js";
import { loadConfigFile } from "../../src/config/index.js";
import { createHttpHandler, type GatewayEvent, type LambdaHttpHandler, type LambdaHttpResponse } from "../../src/lambda/http-handler.js";
import { createApp } from "../../src/server/index.js";
import { proofFor, type Leaf } from "../auth/proof-fixtures.js";
import { csrFor } from "../issuance/section6.js";
import { writeConfig } from "../issuance/service-fixture.js";
import { buildCsr, withCommonName, withOrganizations, type BuiltCsr } from "../support/csr-builder.js";
import { startDynalite, type Dynalite } from "../support/dynalite.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { httpApiEvent, lambdaContext, restApiEvent, withIamCaller, type EventInput } from "./api-gateway-events.js";

// The SDK reads the standard AWS environment; the local servers do not check signatures.
process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
process.env.AWS_SECRET_ACCESS_KEY = "secret";
process.env.AWS_REGION = "us-east-1";
process.env.AWS_EC2_METADATA_DISABLED = "true";

const ACCOUNT = "111122223333";
const WORKERS_ROLE = `arn:aws:iam::${ACCOUNT}:role/nodes/kubeca-workers`;
const WORKER_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/kubeca-workers/i-0aaaa1111bbbb2222`;
const AUDITOR_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/security-audit/alice`;
const STRANGER_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/someone-else/i-0aaaa1111bbbb2222`;
const CP1_TOKEN = "cp-1-bootstrap-token-lambda";
const sha = (t: string) => createHash("sha256").update(t).digest("hex");

type EventBuilder = (input: EventInput) => APIGatewayProxyEventV2 | APIGatewayProxyEvent;
const VERSIONS: [string, EventBuilder][] = [
  ["HTTP API (v2)", httpApiEvent],
  ["REST API (v1)", restApiEvent],
];

/** The event API Gateway sends after its IAM authorization accepted the caller's SigV4 signature. */
function signedBy(build: EventBuilder, arn: string, input: EventInput): GatewayEvent {
  const event = build({ ...input, headers: { authorization: "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261127/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", ...input.headers } });
  const caller = { accountId: ACCOUNT, userArn: arn };
  return "version" in event ? withIamCaller(event, caller) : withIamCaller(event, caller);
}

const json = (res: LambdaHttpResponse) => JSON.parse(res.body);
const body = (value: object) => JSON.stringify(value);

function kubeletCsr(node: string): BuiltCsr {
  return buildCsr(withCommonName(`system:node:${node}`), withOrganizations("system:nodes"));
}

async function runCli(argv: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const sink = new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) });
  const code = await main(argv, { stdout: sink, stderr: sink, env: process.env, cwd: process.cwd() });
  return { code, out };
}

describe("callers of the Lambda deployment", () => {
  let kms: KmsServer;
  let dynalite: Dynalite;
  let configPath: string;
  let instanceA: LambdaHttpHandler;
  let instanceB: LambdaHttpHandler;
  const closers: (() => Promise<void>)[] = [];

  /** A cold start of the function: its own app (own memory), over the shared keys and tables. */
  function instance(path = () => configPath): LambdaHttpHandler {
    return createHttpHandler(async () => {
      const app = await createApp(await loadConfigFile(path()), { logger: false, authentication: { runtime: "lambda" } });
      closers.push(() => app.close());
      return app;
    });
  }

  async function auditEvents(): Promise<{ event: string; actor: { method: string; identity?: string; node?: string }; message?: string }[]> {
    const res = await instanceA(signedBy(httpApiEvent, AUDITOR_SESSION, { method: "GET", path: "/v1/audit" }), lambdaContext);
    assert.equal(res.statusCode, 200, res.body);
    return json(res).records;
  }

  before(async () => {
    kms = await startKmsServer();
    dynalite = await startDynalite();
    await dynalite.createAuditTable("kubeca-audit");
    await dynalite.client().send(
      new CreateTableCommand({ TableName: "kubeca-replay", KeySchema: REPLAY_TABLE_KEY_SCHEMA, AttributeDefinitions: REPLAY_TABLE_ATTRIBUTES, BillingMode: "PAY_PER_REQUEST" }),
    );
    const signer = async () => ({ type: "aws-kms", keyId: (await kms.createKey("ECC_NIST_P256")).arn, endpoint: kms.url });
    const signers = { ca: await signer(), "etcd-ca": await signer(), "front-proxy-ca": await signer() };
    const table = { endpoint: dynalite.endpoint, region: "us-east-1" };
    ({ configPath } = await writeConfig({
      signers,
      edit: (raw) => {
        raw.audit = { store: "dynamodb", table: "kubeca-audit", ...table };
        raw.callers = {
          tokens: [{ name: "cp-1-bootstrap", sha256: sha(CP1_TOKEN), node: "cp-1" }],
          iam: [
            { name: "worker instance profiles", arn: WORKERS_ROLE, sessionNodes: { "i-0aaaa1111bbbb2222": "worker-1" } },
            { name: "security", arn: `arn:aws:iam::${ACCOUNT}:role/security-audit`, auditor: true },
          ],
          proof: { replayCache: { store: "dynamodb", table: "kubeca-replay", ...table } },
        };
      },
    }));
    const init = await runCli(["ca", "init", "--config", configPath]);
    assert.equal(init.code, 0, init.out);
    instanceA = instance();
    instanceB = instance();
  });
  after(async () => {
    for (const close of closers) await close();
    await dynalite?.close();
    await kms?.close();
  });

  for (const [label, build] of VERSIONS) {
    describe(`IAM callers, ${label}`, () => {
      it("an instance-profile session mapped to a node gets that node's kubelet.conf, audited with its ARN", async () => {
        const csr = kubeletCsr("worker-1");
        const res = await instanceA(signedBy(build, WORKER_SESSION, { method: "POST", path: "/v1/sign", body: body({ name: "kubelet.conf", csr: csr.pem }) }), lambdaContext);
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(new X509Certificate(json(res).certificate).subject, "CN=system:node:worker-1\nO=system:nodes");
        const issued = (await auditEvents()).find((r) => r.event === "issued")!;
        assert.deepEqual([issued.actor.method, issued.actor.identity, issued.actor.node], ["aws-iam", WORKER_SESSION, "worker-1"]);
      });

      it("the mapped node is the identity: the worker's session asking for apiserver is refused by policy (403)", async () => {
        const res = await instanceA(signedBy(build, WORKER_SESSION, { method: "POST", path: "/v1/sign", body: body({ name: "apiserver", csr: csrFor("apiserver") }) }), lambdaContext);
        assert.equal(res.statusCode, 403, res.body);
      });

      it("an IAM ARN not in the config is a 401 that names it, recorded as authentication-failed", async () => {
        const res = await instanceA(signedBy(build, STRANGER_SESSION, { method: "POST", path: "/v1/sign", body: body({ name: "kubelet.conf", csr: kubeletCsr("worker-1").pem }) }), lambdaContext);
        assert.equal(res.statusCode, 401, res.body);
        assert.match(json(res).detail, /the IAM principal arn:aws:sts::111122223333:assumed-role\/someone-else\/i-0aaaa1111bbbb2222 is not under callers\.iam/);
        const [latest] = await auditEvents();
        assert.equal(latest!.event, "authentication-failed");
        assert.match(latest!.message ?? "", /someone-else/);
      });

      it("forged identity headers on an event without IAM context are ignored", async () => {
        const forgedEvent = encodeURIComponent(JSON.stringify({ requestContext: { identity: { userArn: WORKER_SESSION }, authorizer: { iam: { userArn: WORKER_SESSION } } } }));
        const event = build({
          method: "POST",
          path: "/v1/sign",
          body: body({ name: "kubelet.conf", csr: kubeletCsr("worker-1").pem }),
          headers: {
            authorization: "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261127/eu-west-1/execute-api/aws4_request, SignedHeaders=host, Signature=00",
            "x-apigateway-event": forgedEvent,
            "x-aws-lambda-fastify-request": "0123456789abcdef01234567",
            "x-amzn-iam-userarn": WORKER_SESSION,
            "x-amz-user-arn": WORKER_SESSION,
          },
        });
        const res = await instanceA(event, lambdaContext);
        assert.equal(res.statusCode, 401, res.body);
        assert.match(json(res).detail, /without an IAM principal from API Gateway/);
      });
    });
  }

  it("an IAM auditor reads the audit log, and may not sign", async () => {
    assert.ok((await auditEvents()).length > 0);
    const res = await instanceA(signedBy(httpApiEvent, AUDITOR_SESSION, { method: "POST", path: "/v1/sign", body: body({ name: "kubelet.conf", csr: kubeletCsr("worker-1").pem }) }), lambdaContext);
    assert.equal(res.statusCode, 403, res.body);
  });

  describe("certificate proofs across instances", () => {
    let cp1: Leaf;
    before(async () => {
      // cp-1 got its kubelet.conf once with its bootstrap token.
      const csr = kubeletCsr("cp-1");
      const res = await instanceA(httpApiEvent({ method: "POST", path: "/v1/sign", headers: { authorization: `Bearer ${CP1_TOKEN}` }, body: body({ name: "kubelet.conf", csr: csr.pem }) }), lambdaContext);
      assert.equal(res.statusCode, 200, res.body);
      const pem = json(res).certificate as string;
      const keyPem = csr.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
      cp1 = { certificate: new X509Certificate(pem), pem, privateKey: csr.privateKey, keyPem, combinedPem: pem + keyPem };
    });

    it("a proof accepted by one instance is refused by another: the replay table is shared", async () => {
      const payload = body({ name: "admin.conf", csr: csrFor("admin.conf") });
      const proof = await proofFor(cp1, { method: "POST", url: "/v1/sign", body: payload });
      const event = () => httpApiEvent({ method: "POST", path: "/v1/sign", headers: { authorization: proof }, body: payload });
      const first = await instanceA(event(), lambdaContext);
      assert.equal(first.statusCode, 200, first.body);
      const replayed = await instanceB(event(), lambdaContext);
      assert.equal(replayed.statusCode, 401, replayed.body);
      assert.match(json(replayed).detail, /jti was already used/);
      // and a fresh proof works on the second instance: it trusts the same CA.
      const fresh = await instanceB(httpApiEvent({ method: "POST", path: "/v1/sign", headers: { authorization: await proofFor(cp1, { method: "POST", url: "/v1/sign", body: payload }) }, body: payload }), lambdaContext);
      assert.equal(fresh.statusCode, 200, fresh.body);
    });

    it("a REST API (v1) event with a base64 body verifies against the decoded bytes", async () => {
      const payload = body({ name: "scheduler.conf", csr: csrFor("scheduler.conf") });
      const proof = await proofFor(cp1, { method: "POST", url: "/v1/sign", body: payload });
      const res = await instanceB(restApiEvent({ method: "POST", path: "/v1/sign", headers: { Authorization: proof }, body: payload, base64: true }), lambdaContext);
      assert.equal(res.statusCode, 200, res.body);
    });

    it("with a memory replay cache, proofs on Lambda are refused and the answer says why", async () => {
      const { configPath: memoryConfig } = await writeConfig({
        edit: (raw) => {
          raw.callers = { tokens: [{ name: "cp-1-bootstrap", sha256: sha(CP1_TOKEN), node: "cp-1" }] };
        },
      });
      const handler = createHttpHandler(async () => {
        const app = await createApp(await loadConfigFile(memoryConfig), { dev: true, logger: false, authentication: { runtime: "lambda" } });
        closers.push(() => app.close());
        return app;
      });
      const csr = kubeletCsr("cp-1");
      const token = await handler(httpApiEvent({ method: "POST", path: "/v1/sign", headers: { authorization: `Bearer ${CP1_TOKEN}` }, body: body({ name: "kubelet.conf", csr: csr.pem }) }), lambdaContext);
      assert.equal(token.statusCode, 200, token.body);
      const pem = json(token).certificate as string;
      const leaf: Leaf = { certificate: new X509Certificate(pem), pem, privateKey: csr.privateKey, keyPem: csr.privateKey.export({ type: "pkcs8", format: "pem" }) as string, combinedPem: "" };
      const payload = body({ name: "admin.conf", csr: csrFor("admin.conf") });
      const res = await handler(httpApiEvent({ method: "POST", path: "/v1/sign", headers: { authorization: await proofFor(leaf, { url: "/v1/sign", body: payload }) }, body: payload }), lambdaContext);
      assert.equal(res.statusCode, 401, res.body);
      assert.match(json(res).detail, /on Lambda the replay cache must be shared \(callers\.proof\.replayCache\.store: dynamodb\)/);
    });
  });
});
