// Every failure leaves as application/problem+json from the error table: malformed input, unknown
// fields, oversize bodies, wrong content types, unknown routes and unexpected errors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ERRORS, problemType } from "../../src/errors/index.js";
import { auth, CP_TOKEN, CSR_PEM, testServer } from "./server-fixtures.js";

const PROBLEM = "application/problem+json; charset=utf-8";

function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => any }, code: keyof typeof ERRORS) {
  assert.equal(res.headers["content-type"], PROBLEM);
  const body = res.json();
  assert.equal(res.statusCode, ERRORS[code].status);
  assert.equal(body.code, code);
  assert.equal(body.type, problemType(code));
  assert.equal(body.title, ERRORS[code].title);
  assert.equal(body.status, ERRORS[code].status);
  assert.equal(body.fix, ERRORS[code].fix);
  assert.equal(typeof body.detail, "string");
  assert.equal(body.requestId, res.headers["x-request-id"]);
  return body;
}

const signJson = (payload: string, headers: Record<string, string> = {}) => ({
  method: "POST" as const,
  url: "/v1/sign",
  headers: { ...auth(CP_TOKEN), "content-type": "application/json", ...headers },
  payload,
});

describe("malformed and refused requests", () => {
  it("malformed JSON is 400", async () => {
    const { app, service } = testServer();
    const res = await app.inject(signJson('{"name": "apiserver", "csr": '));
    const body = assertProblem(res, "KUBECA_BAD_REQUEST");
    assert.equal(body.detail, "the body is not valid JSON");
    assert.equal(service.signCalls.length, 0);
  });

  it("a JSON body with __proto__ is refused as malformed", async () => {
    const { app } = testServer();
    const res = await app.inject(signJson('{"name":"apiserver","csr":"x","__proto__":{"admin":true}}'));
    assertProblem(res, "KUBECA_BAD_REQUEST");
  });

  it("an unknown field is 400 naming the field", async () => {
    const { app, service } = testServer();
    const res = await app.inject(signJson(JSON.stringify({ name: "apiserver", csr: CSR_PEM, extra: 1 })));
    const body = assertProblem(res, "KUBECA_BAD_REQUEST");
    assert.deepEqual(body.violations, [{ field: "extra", rule: "unknown-field", message: "unknown field extra" }]);
    assert.match(body.detail, /at extra$/);
    assert.equal(service.signCalls.length, 0);
  });

  it("missing and mistyped fields are 400 with one violation each", async () => {
    const { app } = testServer();
    const res = await app.inject(signJson(JSON.stringify({ name: 7 })));
    const body = assertProblem(res, "KUBECA_BAD_REQUEST");
    assert.deepEqual(body.violations, [
      { field: "name", rule: "type", message: "must be a string" },
      { field: "csr", rule: "required", message: "is required" },
    ]);
  });

  it("a name longer than 64 characters is 400", async () => {
    const { app } = testServer();
    const res = await app.inject(signJson(JSON.stringify({ name: "a".repeat(65), csr: CSR_PEM })));
    const body = assertProblem(res, "KUBECA_BAD_REQUEST");
    assert.deepEqual(body.violations, [{ field: "name", rule: "too-long", message: "must be at most 64 characters" }]);
  });

  it("a batch of 33 items is 400 and nothing is signed", async () => {
    const { app, service } = testServer();
    const items = Array.from({ length: 33 }, () => ({ name: "admin.conf", csr: "x" }));
    const res = await app.inject({ method: "POST", url: "/v1/sign/batch", headers: auth(CP_TOKEN), payload: { items } });
    const body = assertProblem(res, "KUBECA_BAD_REQUEST");
    assert.deepEqual(body.violations, [{ field: "items", rule: "too-many", message: "must have at most 32 items" }]);
    assert.equal(service.signCalls.length, 0);
  });

  it("an empty batch and an unknown field inside an item name their paths", async () => {
    const { app } = testServer();
    const empty = await app.inject({ method: "POST", url: "/v1/sign/batch", headers: auth(CP_TOKEN), payload: { items: [] } });
    assert.deepEqual(assertProblem(empty, "KUBECA_BAD_REQUEST").violations, [
      { field: "items", rule: "too-few", message: "must have at least 1 items" },
    ]);
    const extra = await app.inject({
      method: "POST",
      url: "/v1/sign/batch",
      headers: auth(CP_TOKEN),
      payload: { items: [{ name: "a", csr: "b" }, { name: "a", csr: "b", pem: "c" }] },
    });
    assert.deepEqual(assertProblem(extra, "KUBECA_BAD_REQUEST").violations, [
      { field: "items.1.pem", rule: "unknown-field", message: "unknown field pem" },
    ]);
  });

  it("no body at all is 400", async () => {
    const { app } = testServer();
    const res = await app.inject({ method: "POST", url: "/v1/sign", headers: auth(CP_TOKEN) });
    const body = assertProblem(res, "KUBECA_BAD_REQUEST");
    assert.deepEqual(body.violations, [{ field: "(body)", rule: "required", message: "a JSON body is required" }]);
  });

  it("a body over 64 KiB is 413", async () => {
    const { app, service } = testServer();
    const res = await app.inject(signJson(JSON.stringify({ name: "apiserver", csr: "A".repeat(64 * 1024) })));
    const body = assertProblem(res, "KUBECA_BODY_TOO_LARGE");
    assert.equal(body.detail, "the request body is larger than 64 KiB");
    assert.equal(service.signCalls.length, 0);
  });

  it("a body of exactly 64 KiB is read (and then judged by the schema)", async () => {
    const { app } = testServer();
    const prefix = '{"name":"apiserver","csr":"';
    const payload = prefix + "A".repeat(64 * 1024 - prefix.length - 2) + '"}';
    assert.equal(Buffer.byteLength(payload), 64 * 1024);
    const res = await app.inject(signJson(payload));
    assert.deepEqual(assertProblem(res, "KUBECA_BAD_REQUEST").violations?.map((v: { rule: string }) => v.rule), ["too-long"]);
  });

  it("a non-JSON content type is 415", async () => {
    const { app } = testServer();
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/yaml"]) {
      const res = await app.inject(signJson("name=apiserver", { "content-type": type }));
      assertProblem(res, "KUBECA_UNSUPPORTED_MEDIA_TYPE");
    }
  });

  it("application/json with a charset is accepted", async () => {
    const { app } = testServer();
    const res = await app.inject(signJson(JSON.stringify({ name: "apiserver", csr: CSR_PEM }), { "content-type": "application/json; charset=utf-8" }));
    assert.equal(res.statusCode, 200);
  });

  it("an unknown route is 404", async () => {
    const { app } = testServer();
    const res = await app.inject({ method: "GET", url: "/v1/nothing?x=1" });
    const body = assertProblem(res, "KUBECA_NOT_FOUND");
    assert.equal(body.detail, "no route GET /v1/nothing");
  });

  it("a known path with another method is 405 with Allow", async () => {
    const { app } = testServer();
    const res = await app.inject({ method: "GET", url: "/v1/sign" });
    assertProblem(res, "KUBECA_METHOD_NOT_ALLOWED");
    assert.equal(res.headers["allow"], "POST");
  });

  it("an unexpected error is 500 internal, without its message or stack; the log has both", async () => {
    const { app, service, logs } = testServer();
    service.onSign = async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'subjectDer')");
    };
    const res = await app.inject(signJson(JSON.stringify({ name: "apiserver", csr: CSR_PEM })));
    const body = assertProblem(res, "KUBECA_INTERNAL");
    assert.doesNotMatch(res.body, /subjectDer|TypeError|at .*\.ts:\d+/);
    assert.deepEqual(Object.keys(body).sort(), ["code", "detail", "fix", "instance", "requestId", "status", "title", "type"]);
    const line = logs.lines.find((l) => l.msg === "unexpected error");
    assert.ok(line);
    assert.equal(line.reqId, res.headers["x-request-id"]);
    assert.match(JSON.stringify(line), /subjectDer/);
  });

  it("the Authorization header never reaches the log, even with a serializer that logs headers", async () => {
    const { buildServer } = await import("../../src/server/index.js");
    const { createTokenAuthenticator } = await import("../../src/auth/bearer-token.js");
    const { NODES, TOKENS, recordingService } = await import("./server-fixtures.js");
    const { Writable } = await import("node:stream");
    let text = "";
    const app = buildServer({
      service: recordingService(),
      authenticator: createTokenAuthenticator(TOKENS, NODES),
      logger: {
        stream: new Writable({ write: (c, _e, done) => ((text += String(c)), done()) }),
        serializers: { req: (req: { headers: unknown }) => ({ headers: req.headers }) },
      },
    });
    await app.inject({ method: "POST", url: "/v1/sign", headers: auth(CP_TOKEN), payload: { name: "apiserver", csr: CSR_PEM } });
    assert.match(text, /"authorization":"\[redacted\]"/);
    assert.doesNotMatch(text, new RegExp(CP_TOKEN));
  });
});
