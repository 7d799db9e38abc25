// Every failure leaves as application/problem+json from the error table: malformed input, unknown
// fields, oversize bodies, wrong content types, unknown routes and unexpected errors. Through supertest
// against a listening server: bodies, lengths and headers cross a real socket.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Response } from "supertest";
import { ERRORS, problemType } from "../../src/errors/index.js";
import { listen, rawRequest, type RawResponse } from "../support/http.js";
import { auth, CP_TOKEN, CSR_PEM, listeningServer } from "./server-fixtures.js";

const PROBLEM = "application/problem+json; charset=utf-8";

function assertProblem(res: Response, code: keyof typeof ERRORS) {
  assert.equal(res.headers["content-type"], PROBLEM);
  const body = res.body;
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

type Http = Awaited<ReturnType<typeof listeningServer>>["http"];

/** POST /v1/sign with this exact body text. */
const signJson = (http: Http, payload: string, headers: Record<string, string> = {}) =>
  http.post("/v1/sign").set({ ...auth(CP_TOKEN), "content-type": "application/json", ...headers }).send(payload);

describe("malformed and refused requests", () => {
  it("malformed JSON is 400", async (t) => {
    const { http, service } = await listeningServer(t);
    const res = await signJson(http, '{"name": "apiserver", "csr": ');
    const body = assertProblem(res, "KUBECA_BAD_REQUEST");
    assert.equal(body.detail, "the body is not valid JSON");
    assert.equal(service.signCalls.length, 0);
  });

  it("a JSON body with __proto__ is refused as malformed", async (t) => {
    const { http } = await listeningServer(t);
    const res = await signJson(http, '{"name":"apiserver","csr":"x","__proto__":{"admin":true}}');
    assertProblem(res, "KUBECA_BAD_REQUEST");
  });

  it("an unknown field is 400 naming the field", async (t) => {
    const { http, service } = await listeningServer(t);
    const res = await signJson(http, JSON.stringify({ name: "apiserver", csr: CSR_PEM, extra: 1 }));
    const body = assertProblem(res, "KUBECA_BAD_REQUEST");
    assert.deepEqual(body.violations, [{ field: "extra", rule: "unknown-field", message: "unknown field extra" }]);
    assert.match(body.detail, /at extra$/);
    assert.equal(service.signCalls.length, 0);
  });

  it("missing and mistyped fields are 400 with one violation each", async (t) => {
    const { http } = await listeningServer(t);
    const res = await signJson(http, JSON.stringify({ name: 7 }));
    const body = assertProblem(res, "KUBECA_BAD_REQUEST");
    assert.deepEqual(body.violations, [
      { field: "name", rule: "type", message: "must be a string" },
      { field: "csr", rule: "required", message: "is required" },
    ]);
  });

  it("a name longer than 64 characters is 400", async (t) => {
    const { http } = await listeningServer(t);
    const res = await signJson(http, JSON.stringify({ name: "a".repeat(65), csr: CSR_PEM }));
    const body = assertProblem(res, "KUBECA_BAD_REQUEST");
    assert.deepEqual(body.violations, [{ field: "name", rule: "too-long", message: "must be at most 64 characters" }]);
  });

  it("a batch of 33 items is 400 and nothing is signed", async (t) => {
    const { http, service } = await listeningServer(t);
    const items = Array.from({ length: 33 }, () => ({ name: "admin.conf", csr: "x" }));
    const res = await http.post("/v1/sign/batch").set(auth(CP_TOKEN)).send({ items });
    const body = assertProblem(res, "KUBECA_BAD_REQUEST");
    assert.deepEqual(body.violations, [{ field: "items", rule: "too-many", message: "must have at most 32 items" }]);
    assert.equal(service.signCalls.length, 0);
  });

  it("an empty batch and an unknown field inside an item name their paths", async (t) => {
    const { http } = await listeningServer(t);
    const empty = await http.post("/v1/sign/batch").set(auth(CP_TOKEN)).send({ items: [] });
    assert.deepEqual(assertProblem(empty, "KUBECA_BAD_REQUEST").violations, [
      { field: "items", rule: "too-few", message: "must have at least 1 items" },
    ]);
    const extra = await http.post("/v1/sign/batch").set(auth(CP_TOKEN)).send({ items: [{ name: "a", csr: "b" }, { name: "a", csr: "b", pem: "c" }] });
    assert.deepEqual(assertProblem(extra, "KUBECA_BAD_REQUEST").violations, [
      { field: "items.1.pem", rule: "unknown-field", message: "unknown field pem" },
    ]);
  });

  it("no body at all is 400", async (t) => {
    const { http } = await listeningServer(t);
    const res = await http.post("/v1/sign").set(auth(CP_TOKEN));
    const body = assertProblem(res, "KUBECA_BAD_REQUEST");
    assert.deepEqual(body.violations, [{ field: "(body)", rule: "required", message: "a JSON body is required" }]);
  });

  it("a body over 64 KiB is 413", async (t) => {
    const { http, service } = await listeningServer(t);
    const res = await signJson(http, JSON.stringify({ name: "apiserver", csr: "A".repeat(64 * 1024) }));
    const body = assertProblem(res, "KUBECA_BODY_TOO_LARGE");
    assert.equal(body.detail, "the request body is larger than 64 KiB");
    assert.equal(service.signCalls.length, 0);
  });

  it("a body of exactly 64 KiB is read (and then judged by the schema)", async (t) => {
    const { http } = await listeningServer(t);
    const prefix = '{"name":"apiserver","csr":"';
    const payload = prefix + "A".repeat(64 * 1024 - prefix.length - 2) + '"}';
    assert.equal(Buffer.byteLength(payload), 64 * 1024);
    const res = await signJson(http, payload);
    assert.deepEqual(assertProblem(res, "KUBECA_BAD_REQUEST").violations?.map((v: { rule: string }) => v.rule), ["too-long"]);
  });

  it("a non-JSON content type is 415", async (t) => {
    const { http } = await listeningServer(t);
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/yaml"]) {
      const res = await signJson(http, "name=apiserver", { "content-type": type });
      assertProblem(res, "KUBECA_UNSUPPORTED_MEDIA_TYPE");
    }
  });

  it("application/json with a charset is accepted", async (t) => {
    const { http } = await listeningServer(t);
    const res = await signJson(http, JSON.stringify({ name: "apiserver", csr: CSR_PEM }), { "content-type": "application/json; charset=utf-8" });
    assert.equal(res.statusCode, 200);
  });

  it("an unknown route is 404", async (t) => {
    const { http } = await listeningServer(t);
    const res = await http.get("/v1/nothing?x=1");
    const body = assertProblem(res, "KUBECA_NOT_FOUND");
    assert.equal(body.detail, "no route GET /v1/nothing");
  });

  it("a known path with another method is 405 with Allow", async (t) => {
    const { http } = await listeningServer(t);
    const res = await http.get("/v1/sign");
    assertProblem(res, "KUBECA_METHOD_NOT_ALLOWED");
    assert.equal(res.headers["allow"], "POST");
  });

  it("an unexpected error is 500 internal, without its message or stack; the log has both", async (t) => {
    const { http, service, logs } = await listeningServer(t);
    service.onSign = async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'subjectDer')");
    };
    const res = await signJson(http, JSON.stringify({ name: "apiserver", csr: CSR_PEM }));
    const body = assertProblem(res, "KUBECA_INTERNAL");
    assert.doesNotMatch(res.text, /subjectDer|TypeError|at .*\.ts:\d+/);
    assert.deepEqual(Object.keys(body).sort(), ["code", "detail", "fix", "instance", "requestId", "status", "title", "type"]);
    const line = logs.lines.find((l) => l.msg === "unexpected error");
    assert.ok(line);
    assert.equal(line.reqId, res.headers["x-request-id"]);
    assert.match(JSON.stringify(line), /subjectDer/);
  });

  it("each request is one log line: method, URL, status, client address and milliseconds, with its request id", async (t) => {
    const { buildServer } = await import("../../src/server/index.js");
    const { createTokenAuthenticator } = await import("../../src/auth/bearer-token.js");
    const { NODES, TOKENS, recordingService } = await import("./server-fixtures.js");
    const { Writable } = await import("node:stream");
    let text = "";
    const app = buildServer({
      service: recordingService(),
      authenticator: createTokenAuthenticator(TOKENS, NODES),
      logger: { stream: new Writable({ write: (c, _e, done) => ((text += String(c)), done()) }) },
    });
    const http = await listen(app, (fn) => t.after(fn));
    const res = await http.post("/v1/sign").set(auth(CP_TOKEN)).send({ name: "apiserver", csr: CSR_PEM });
    const lines = text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l))
      .filter((l) => l.reqId !== undefined);
    assert.equal(lines.length, 1, text);
    const [line] = lines;
    assert.equal(line.msg, "request");
    assert.equal(line.reqId, res.headers["x-request-id"]);
    assert.equal(line.method, "POST");
    assert.equal(line.url, "/v1/sign");
    assert.equal(line.status, res.status);
    assert.equal(line.ip, "127.0.0.1");
    assert.equal(typeof line.ms, "number");
    assert.doesNotMatch(text, new RegExp(CP_TOKEN));
  });

  // The request line carries no headers; the redaction is for anything else that logs a request (a
  // hook, a plugin, fastify itself), with whatever serializers and redact paths the caller configured.
  it("the Authorization header never reaches the log, even with a serializer that logs headers", async (t) => {
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
        redact: ["req.headers.host"],
      },
    });
    app.addHook("onRequest", (request, _reply, done) => {
      request.log.info({ req: request }, "a hook logs the request");
      done();
    });
    const http = await listen(app, (fn) => t.after(fn));
    await http.post("/v1/sign").set(auth(CP_TOKEN)).send({ name: "apiserver", csr: CSR_PEM });
    const hookLine = text.split("\n").find((l) => l.includes("a hook logs the request"));
    assert.ok(hookLine, text);
    assert.deepEqual(JSON.parse(hookLine).req.headers.authorization, "[redacted]");
    assert.deepEqual(JSON.parse(hookLine).req.headers.host, "[redacted]"); // the caller's own path stays too
    assert.doesNotMatch(text, new RegExp(CP_TOKEN));
  });
});

describe("requests node's HTTP parser refuses, and bodies framed without a length", () => {
  /** The problem in a raw answer, checked like assertProblem checks a parsed one. */
  function assertRawProblem(res: RawResponse, code: keyof typeof ERRORS) {
    assert.equal(res.status, ERRORS[code].status);
    assert.equal(res.headers["content-type"], PROBLEM);
    const body = JSON.parse(res.body);
    assert.equal(body.code, code);
    assert.equal(body.status, ERRORS[code].status);
    assert.equal(body.title, ERRORS[code].title);
    assert.equal(body.requestId, res.headers["x-request-id"]);
    return body;
  }
  const signHead = `POST /v1/sign HTTP/1.1\r\nHost: kubeca\r\nAuthorization: Bearer ${CP_TOKEN}\r\nContent-Type: application/json\r\nConnection: close\r\n`;

  it("a header line without a valid name is a 400 problem, not fastify's own JSON", async (t) => {
    const { app, service } = await listeningServer(t);
    const res = await rawRequest(app, `${signHead}Bad Header: x\r\nContent-Length: 2\r\n\r\n{}`);
    assert.match(assertRawProblem(res, "KUBECA_BAD_REQUEST").detail, /not valid HTTP\/1\.1/);
    assert.equal(service.signCalls.length + service.authFailures.length, 0);
  });

  it("two Content-Length headers are a 400 problem and nothing reaches the service", async (t) => {
    const { app, service } = await listeningServer(t);
    const res = await rawRequest(app, `${signHead}Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}`);
    assertRawProblem(res, "KUBECA_BAD_REQUEST");
    assert.equal(service.signCalls.length + service.authFailures.length, 0);
  });

  it("headers past 16 KiB are a 400 problem that says so", async (t) => {
    const { app } = await listeningServer(t);
    const res = await rawRequest(app, `GET /healthz HTTP/1.1\r\nHost: kubeca\r\nX-Padding: ${"a".repeat(17 * 1024)}\r\n\r\n`);
    assert.match(assertRawProblem(res, "KUBECA_BAD_REQUEST").detail, /headers are larger than the server accepts/);
  });

  it("a chunked body over 64 KiB, with no Content-Length to refuse up front, is 413 and nothing is signed", async (t) => {
    const { app, service } = await listeningServer(t);
    const json = JSON.stringify({ name: "apiserver", csr: "A".repeat(70 * 1024) });
    const chunks = [json.slice(0, 30_000), json.slice(30_000)].map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join("");
    const res = await rawRequest(app, `${signHead}Transfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
    assert.equal(assertRawProblem(res, "KUBECA_BODY_TOO_LARGE").detail, "the request body is larger than 64 KiB");
    assert.equal(service.signCalls.length, 0);
  });

  it("a chunked body under the limit is read whole and signed", async (t) => {
    const { app, service } = await listeningServer(t);
    const json = JSON.stringify({ name: "apiserver", csr: CSR_PEM });
    const chunks = [json.slice(0, 10), json.slice(10)].map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join("");
    const res = await rawRequest(app, `${signHead}Transfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(service.signCalls.map((c) => c.item), [{ name: "apiserver", csr: CSR_PEM }]);
  });
});
