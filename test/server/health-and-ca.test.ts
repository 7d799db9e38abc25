// GET /healthz, GET /readyz and GET /v1/ca, through supertest against a listening server.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { listeningServer } from "./server-fixtures.js";

describe("health and CA routes", () => {
  it("/healthz is 200 whatever the service's state", async (t) => {
    const { http, service } = await listeningServer(t);
    service.onReadiness = async () => {
      throw new Error("down");
    };
    const res = await http.get("/healthz");
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.body, { status: "ok" });
  });

  it("/readyz is 200 with the checks when every check passes", async (t) => {
    const { http } = await listeningServer(t);
    const res = await http.get("/readyz");
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.body, {
      status: "ready",
      checks: [
        { name: "config", ok: true, detail: "loaded" },
        { name: "signer ca", ok: true, detail: "public key matches ca.crt" },
      ],
    });
  });

  it("/readyz is 503 with Retry-After and the checks when one fails", async (t) => {
    const { http, service } = await listeningServer(t);
    const checks = [
      { name: "config", ok: true, detail: "loaded" },
      { name: "audit store", ok: false, detail: "the audit table did not answer within 2 s" },
    ];
    service.onReadiness = async () => checks;
    const res = await http.get("/readyz");
    assert.equal(res.statusCode, 503);
    assert.ok(Number(res.headers["retry-after"]) > 0);
    assert.deepEqual(res.body, { status: "not-ready", checks });
  });

  it("/readyz is 503 when the checks themselves throw, without the error's text", async (t) => {
    const { http, service } = await listeningServer(t);
    service.onReadiness = async () => {
      throw new Error("connect ECONNREFUSED 10.1.2.3:443");
    };
    const res = await http.get("/readyz");
    assert.equal(res.statusCode, 503);
    assert.equal(res.body.status, "not-ready");
    assert.doesNotMatch(res.text, /ECONNREFUSED/);
  });

  it("GET /v1/ca lists the CA certificates without credentials", async (t) => {
    const { http, service } = await listeningServer(t);
    const res = await http.get("/v1/ca");
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.body, { cas: await service.cas() });
    assert.equal(service.authFailures.length, 0);
  });
});
