// src/lambda/http-handler.ts: API Gateway v2 and v1 events through @fastify/aws-lambda to the app,
// the app built once per cold start, and a failed start answered as problem+json.
// The app uses the recording IssuanceService of the server tests: this proves the Lambda adapter.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTokenAuthenticator } from "../../src/auth/bearer-token.js";
import { KubecaError } from "../../src/errors/index.js";
import { createHttpHandler, type LambdaHttpResponse } from "../../src/lambda/http-handler.js";
import { buildServer } from "../../src/server/index.js";
import { CP_TOKEN, CSR_PEM, NODES, recordingService, resultFor, TOKENS } from "../server/server-fixtures.js";
import { httpApiEvent, lambdaContext, restApiEvent } from "./api-gateway-events.js";

function appUnderTest() {
  const service = recordingService();
  let starts = 0;
  const handler = createHttpHandler(async () => {
    starts++;
    return buildServer({ service, authenticator: createTokenAuthenticator(TOKENS, NODES) });
  });
  return { handler, service, starts: () => starts };
}

const json = (res: LambdaHttpResponse) => JSON.parse(res.body);

for (const [label, event] of [
  ["HTTP API (v2)", httpApiEvent],
  ["REST API (v1)", restApiEvent],
] as const) {
  describe(`Lambda handler, ${label} events`, () => {
    it("GET /healthz is 200", async () => {
      const { handler } = appUnderTest();
      const res = await handler(event({ method: "GET", path: "/healthz" }), lambdaContext);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(json(res), { status: "ok" });
      assert.match(res.headers["x-request-id"] ?? "", /^[0-9a-f-]{36}$/);
    });

    it("GET /v1/ca lists the CAs", async () => {
      const { handler, service } = appUnderTest();
      const res = await handler(event({ method: "GET", path: "/v1/ca" }), lambdaContext);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(json(res), { cas: await service.cas() });
    });

    it("POST /v1/sign with a bad token is a 401 problem, audited with API Gateway's source IP", async () => {
      const { handler, service } = appUnderTest();
      const res = await handler(
        event({
          method: "POST",
          path: "/v1/sign",
          headers: { authorization: "Bearer wrong" },
          body: JSON.stringify({ name: "apiserver", csr: CSR_PEM }),
          sourceIp: "198.51.100.20",
        }),
        lambdaContext,
      );
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers["content-type"], "application/problem+json; charset=utf-8");
      assert.match(res.headers["www-authenticate"] ?? "", /^Bearer/);
      assert.equal(json(res).code, "KUBECA_UNAUTHENTICATED");
      assert.equal(service.authFailures.length, 1);
      assert.equal(service.authFailures[0]!.origin.sourceIp, "198.51.100.20");
      assert.equal(service.authFailures[0]!.origin.requestId, res.headers["x-request-id"]);
    });

    it("POST /v1/sign with a good token (base64 body, as API Gateway may send it) is 200", async () => {
      const { handler, service } = appUnderTest();
      const res = await handler(
        event({
          method: "POST",
          path: "/v1/sign",
          headers: { authorization: `Bearer ${CP_TOKEN}` },
          body: JSON.stringify({ name: "apiserver", csr: CSR_PEM }),
          base64: true,
        }),
        lambdaContext,
      );
      assert.equal(res.statusCode, 200);
      assert.equal(res.isBase64Encoded, false);
      assert.deepEqual(json(res), resultFor({ name: "apiserver", csr: CSR_PEM }));
      assert.equal(service.signCalls[0]!.caller.node, "cp1");
    });

    it("the app is built once for many invocations", async () => {
      const { handler, starts } = appUnderTest();
      for (let i = 0; i < 3; i++) await handler(event({ method: "GET", path: "/healthz" }), lambdaContext);
      assert.equal(starts(), 1);
    });
  });
}

describe("Lambda handler, two Authorization headers", () => {
  it("a REST API (v1) event carrying two Authorization values, a good token among them, is a 401, not the token's node", async () => {
    const { handler, service } = appUnderTest();
    const event = restApiEvent({ method: "POST", path: "/v1/sign", headers: { Authorization: `Bearer ${CP_TOKEN}` }, body: JSON.stringify({ name: "apiserver", csr: CSR_PEM }) });
    event.multiValueHeaders["Authorization"] = [`Bearer ${CP_TOKEN}`, "Bearer another-token"];
    const res = await handler(event, lambdaContext);
    assert.equal(res.statusCode, 401, res.body);
    assert.match(json(res).detail, /more than one Authorization header; send exactly one/);
    assert.equal(service.authFailures.length, 1);
  });
});

describe("Lambda handler when the start fails", () => {
  it("answers every request with a problem naming the code, logs the reason, and retries after the pause", async () => {
    const logs: Record<string, unknown>[] = [];
    let clock = 1_000;
    let attempts = 0;
    const handler = createHttpHandler(
      async () => {
        attempts++;
        throw new KubecaError("KUBECA_CONFIG_INVALID", "/var/task/kubeca.yaml is not a valid kubeca config:\n  nodes: required");
      },
      { now: () => clock, restartAfterMs: 30_000, log: (l) => logs.push(l) },
    );
    for (const path of ["/healthz", "/v1/sign"]) {
      const res = await handler(httpApiEvent({ method: "GET", path }), lambdaContext);
      assert.equal(res.statusCode, 500);
      assert.equal(res.headers["content-type"], "application/problem+json; charset=utf-8");
      const body = json(res);
      assert.equal(body.code, "KUBECA_CONFIG_INVALID");
      assert.equal(body.type, "https://kubeca.dev/problems/config-invalid");
      assert.match(body.detail, /could not start/);
      assert.doesNotMatch(res.body, /kubeca\.yaml|nodes: required/);
      assert.equal(body.requestId, res.headers["x-request-id"]);
    }
    assert.equal(attempts, 1);
    const reason = logs.find((l) => l.msg === "kubeca could not start");
    assert.ok(reason);
    assert.match(String(reason.detail), /nodes: required/);

    clock += 30_000;
    await handler(httpApiEvent({ method: "GET", path: "/healthz" }), lambdaContext);
    assert.equal(attempts, 2);
  });

  it("an unexpected start error is 500 internal without its message; a transient one is 503 with Retry-After", async () => {
    const internal = createHttpHandler(
      async () => {
        throw new Error("Cannot find module '/var/task/node_modules/x'");
      },
      { log: () => {} },
    );
    const a = await internal(restApiEvent({ method: "GET", path: "/healthz" }), lambdaContext);
    assert.equal(a.statusCode, 500);
    assert.equal(json(a).code, "KUBECA_INTERNAL");
    assert.doesNotMatch(a.body, /Cannot find module/);

    const transient = createHttpHandler(
      async () => {
        throw new KubecaError("KUBECA_NOT_READY", "the config could not be read from SSM parameter /kubeca/config (ThrottlingException)", {
          retryAfter: 5,
        });
      },
      { log: () => {} },
    );
    const b = await transient(httpApiEvent({ method: "GET", path: "/healthz" }), lambdaContext);
    assert.equal(b.statusCode, 503);
    assert.equal(b.headers["retry-after"], "5");
    assert.equal(json(b).code, "KUBECA_NOT_READY");
  });

  it("a start that succeeds after a failure serves normally", async () => {
    let clock = 0;
    let fail = true;
    const handler = createHttpHandler(
      async () => {
        if (fail) throw new KubecaError("KUBECA_NOT_READY", "SSM throttled", { retryAfter: 1 });
        return buildServer({ service: recordingService(), authenticator: createTokenAuthenticator(TOKENS, NODES) });
      },
      { now: () => clock, restartAfterMs: 1000, log: () => {} },
    );
    assert.equal((await handler(httpApiEvent({ method: "GET", path: "/healthz" }), lambdaContext)).statusCode, 503);
    fail = false;
    clock = 1000;
    assert.equal((await handler(httpApiEvent({ method: "GET", path: "/healthz" }), lambdaContext)).statusCode, 200);
  });
});
