// POST /v1/sign and POST /v1/sign/batch through supertest against a listening server: answers, authentication and batch semantics.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KubecaError } from "../../src/errors/index.js";
import { auth, CP_TOKEN, CSR_PEM, listeningServer, resultFor } from "./server-fixtures.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("POST /v1/sign", () => {
  it("answers 200 with the service's result and hands it the caller, origin and item", async (t) => {
    const { http, service } = await listeningServer(t);
    const res = await http.post("/v1/sign").set({ ...auth(CP_TOKEN), "user-agent": "kubeca-renew/0.1" }).send({ name: "apiserver", csr: CSR_PEM });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^application\/json/);
    assert.deepEqual(res.body, resultFor({ name: "apiserver", csr: CSR_PEM }));
    const requestId = String(res.headers["x-request-id"]);
    assert.match(requestId, UUID);
    assert.equal(service.signCalls.length, 1);
    const call = service.signCalls[0]!;
    assert.deepEqual(call.caller, { method: "token", subject: "cp1-renewer", node: "cp1", role: "control-plane" });
    assert.deepEqual(call.item, { name: "apiserver", csr: CSR_PEM });
    assert.deepEqual(call.origin, { requestId, sourceIp: "127.0.0.1", userAgent: "kubeca-renew/0.1" });
  });

  it("a request id sent by the client is not used", async (t) => {
    const { http, service } = await listeningServer(t);
    const res = await http.post("/v1/sign").set({ ...auth(CP_TOKEN), "x-request-id": "forged" }).send({ name: "apiserver", csr: CSR_PEM });
    assert.match(String(res.headers["x-request-id"]), UUID);
    assert.equal(service.signCalls[0]!.origin.requestId, res.headers["x-request-id"]);
  });

  it("a missing token is 401 with WWW-Authenticate, recorded in the audit log before the answer", async (t) => {
    const { http, service } = await listeningServer(t);
    const res = await http.post("/v1/sign").send({ name: "apiserver", csr: CSR_PEM });
    assert.equal(res.statusCode, 401);
    assert.match(String(res.headers["www-authenticate"]), /^Bearer/);
    assert.equal(res.headers["content-type"], "application/problem+json; charset=utf-8");
    const body = res.body;
    assert.equal(body.code, "KUBECA_UNAUTHENTICATED");
    assert.equal(body.type, "https://kubeca.dev/problems/unauthenticated");
    assert.match(body.detail, /no Authorization header/);
    assert.equal(service.signCalls.length, 0);
    assert.equal(service.authFailures.length, 1);
    assert.equal(service.authFailures[0]!.origin.requestId, res.headers["x-request-id"]);
    assert.match(service.authFailures[0]!.reason, /no Authorization header/);
  });

  it("an unknown token is 401, recorded, and neither the answer nor the log holds the token", async (t) => {
    const { http, service, logs } = await listeningServer(t);
    const res = await http.post("/v1/sign").set(auth("secret-wrong-token")).send({ name: "apiserver", csr: CSR_PEM });
    assert.equal(res.statusCode, 401);
    assert.match(res.body.detail, /not one of the configured callers' tokens/);
    assert.equal(service.authFailures.length, 1);
    assert.doesNotMatch(res.text, /secret-wrong-token/);
    assert.doesNotMatch(logs.text(), /secret-wrong-token/);
  });

  it("when the refused credential cannot be audited the answer is 503 audit unavailable, with Retry-After", async (t) => {
    const { http, service } = await listeningServer(t);
    service.onRecordAuthFailure = async () => {
      throw new Error("ENOSPC: no space left on device, write '/var/log/kubeca-audit.jsonl'");
    };
    const res = await http.post("/v1/sign").send({ name: "apiserver", csr: CSR_PEM });
    assert.equal(res.statusCode, 503);
    assert.equal(res.body.code, "KUBECA_AUDIT_UNAVAILABLE");
    assert.ok(Number(res.headers["retry-after"]) > 0);
    assert.doesNotMatch(res.text, /ENOSPC|kubeca-audit\.jsonl/);
  });

  it("a policy refusal is 403 with the violations passed through", async (t) => {
    const { http, service } = await listeningServer(t);
    const violations = [
      { field: "san.dns[1]", rule: "san-not-allowed", message: "evil.example.com is not a name of node cp1" },
      { field: "subject.CN", rule: "cn-mismatch", message: "CN must be kube-apiserver" },
    ];
    service.onSign = async () => {
      throw new KubecaError("KUBECA_POLICY_VIOLATION", "2 rules broken", { violations });
    };
    const res = await http.post("/v1/sign").set(auth(CP_TOKEN)).send({ name: "apiserver", csr: CSR_PEM });
    assert.equal(res.statusCode, 403);
    const body = res.body;
    assert.equal(body.code, "KUBECA_POLICY_VIOLATION");
    assert.equal(body.status, 403);
    assert.equal(body.title, "The request breaks the signing policy");
    assert.equal(body.detail, "2 rules broken");
    assert.deepEqual(body.violations, violations);
    assert.equal(body.instance, `urn:uuid:${res.headers["x-request-id"]}`);
    assert.equal(body.requestId, res.headers["x-request-id"]);
    assert.equal(res.headers["retry-after"], undefined);
  });

  it("a signer outage is 503 with Retry-After; the KMS message stays in the log, out of the body", async (t) => {
    const { http, service, logs } = await listeningServer(t);
    const sdkError = Object.assign(new Error("ThrottlingException: Rate exceeded for arn:aws:kms:eu-west-1:111122223333:key/abcd"), {
      name: "ThrottlingException",
    });
    service.onSign = async () => {
      throw new KubecaError("KUBECA_SIGNER_UNAVAILABLE", "the KMS throttled the request for CA ca", { retryAfter: 2, cause: sdkError });
    };
    const res = await http.post("/v1/sign").set(auth(CP_TOKEN)).send({ name: "apiserver", csr: CSR_PEM });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers["retry-after"], "2");
    const body = res.body;
    assert.equal(body.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.equal(body.detail, "the KMS throttled the request for CA ca");
    assert.doesNotMatch(res.text, /ThrottlingException|Rate exceeded|arn:aws|111122223333/);
    const line = logs.lines.find((l) => l.code === "KUBECA_SIGNER_UNAVAILABLE");
    assert.ok(line, "the failure is logged");
    assert.equal(line.reqId, res.headers["x-request-id"]);
    assert.match(JSON.stringify(line), /Rate exceeded/);
  });
});

describe("POST /v1/sign/batch", () => {
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `file-${i}`, csr: CSR_PEM }));

  it("answers each item's result in request order", async (t) => {
    const { http, service } = await listeningServer(t);
    const res = await http.post("/v1/sign/batch").set(auth(CP_TOKEN)).send({ items: items(12) });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.body, { items: items(12).map(resultFor) });
    assert.equal(service.signCalls.length, 12);
    assert.equal(new Set(service.signCalls.map((c) => c.origin.requestId)).size, 1);
  });

  it("a refused item carries its own problem; the others are signed", async (t) => {
    const { http, service } = await listeningServer(t);
    service.onSign = async (item) => {
      if (item.name === "file-1") {
        throw new KubecaError("KUBECA_POLICY_VIOLATION", "extra SAN", {
          violations: [{ field: "san.dns[0]", rule: "san-not-allowed", message: "x.example is not allowed" }],
        });
      }
      if (item.name === "file-2") throw new KubecaError("KUBECA_UNKNOWN_PROFILE", "file-2 is not a kubeadm file");
      return resultFor(item);
    };
    const res = await http.post("/v1/sign/batch").set(auth(CP_TOKEN)).send({ items: items(4) });
    assert.equal(res.statusCode, 200);
    const body = res.body;
    assert.deepEqual(body.items[0], resultFor({ name: "file-0", csr: CSR_PEM }));
    assert.equal(body.items[1].name, "file-1");
    assert.equal(body.items[1].problem.code, "KUBECA_POLICY_VIOLATION");
    assert.equal(body.items[1].problem.status, 403);
    assert.deepEqual(body.items[1].problem.violations, [{ field: "san.dns[0]", rule: "san-not-allowed", message: "x.example is not allowed" }]);
    assert.equal(body.items[2].problem.code, "KUBECA_UNKNOWN_PROFILE");
    assert.equal(body.items[2].problem.status, 400);
    assert.deepEqual(body.items[3], resultFor({ name: "file-3", csr: CSR_PEM }));
  });

  it("an audit outage on any item fails the whole batch with 503, and no further item starts", async (t) => {
    const { http, service } = await listeningServer(t);
    service.onSign = async (item) => {
      if (item.name === "file-5") throw new KubecaError("KUBECA_AUDIT_UNAVAILABLE", "the audit table did not answer", { retryAfter: 3 });
      return resultFor(item);
    };
    const res = await http.post("/v1/sign/batch").set(auth(CP_TOKEN)).send({ items: items(32) });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers["retry-after"], "3");
    assert.equal(res.body.code, "KUBECA_AUDIT_UNAVAILABLE");
    assert.doesNotMatch(res.text, /BEGIN CERTIFICATE/);
    // At most the items already running when file-5 failed were started.
    assert.ok(service.signCalls.length < 32, `started ${service.signCalls.length} of 32`);
  });

  it("an unexpected error on one item fails the whole batch with 500, without its message", async (t) => {
    const { http, service } = await listeningServer(t);
    service.onSign = async (item) => {
      if (item.name === "file-2") throw new RangeError("offset out of range in der-reader");
      return resultFor(item);
    };
    const res = await http.post("/v1/sign/batch").set(auth(CP_TOKEN)).send({ items: items(3) });
    assert.equal(res.statusCode, 500);
    assert.equal(res.body.code, "KUBECA_INTERNAL");
    assert.doesNotMatch(res.text, /der-reader|BEGIN CERTIFICATE/);
  });

  it("an unauthenticated batch is 401 and nothing is signed", async (t) => {
    const { http, service } = await listeningServer(t);
    const res = await http.post("/v1/sign/batch").set(auth("nope")).send({ items: items(2) });
    assert.equal(res.statusCode, 401);
    assert.equal(service.signCalls.length, 0);
    assert.equal(service.authFailures.length, 1);
  });
});

describe("the sign body read without zod", () => {
  it("accepts only bodies the SignItemBody schema accepts, with the same value; everything else goes to the schema", async () => {
    const { plainSignItem } = await import("../../src/server/routes/sign.js");
    const { SignItemBody, MAX_CSR_LENGTH, MAX_NAME_LENGTH } = await import("../../src/server/sign-body.js");
    const bodies: unknown[] = [
      { name: "apiserver", csr: CSR_PEM },
      { csr: CSR_PEM, name: "admin.conf" },
      { name: "a".repeat(MAX_NAME_LENGTH), csr: "c".repeat(MAX_CSR_LENGTH) },
      { name: "a".repeat(MAX_NAME_LENGTH + 1), csr: "c" },
      { name: "a", csr: "c".repeat(MAX_CSR_LENGTH + 1) },
      { name: "", csr: "c" },
      { name: "a", csr: "" },
      { name: "a\ud800", csr: "c" },
      { name: "a", csr: "c\udc00" },
      { name: "\ud83d\ude00", csr: "c" },
      { name: "a", csr: "c", extra: 1 },
      { name: "a", extra: "c" },
      { name: "a", csr: 1 },
      { name: null, csr: "c" },
      { name: "a" },
      {},
      ["a", "c"],
      null,
      "name",
      42,
      undefined,
      Object.assign(Object.create({ name: "a" }), { csr: "c", other: "x" }),
    ];
    let fast = 0;
    for (const body of bodies) {
      const plain = plainSignItem(body);
      const zod = SignItemBody.safeParse(body);
      if (plain === undefined) continue;
      fast++;
      assert.ok(zod.success, `read without zod but the schema refuses ${JSON.stringify(body)}`);
      assert.deepEqual(plain, zod.data);
    }
    assert.equal(fast, 4, "the honest shapes take the fast path");
  });
});
