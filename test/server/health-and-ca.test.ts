// GET /healthz, GET /readyz and GET /v1/ca.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testServer } from "./server-fixtures.js";

describe("health and CA routes", () => {
  it("/healthz is 200 whatever the service's state", async () => {
    const { app, service } = testServer();
    service.onReadiness = async () => {
      throw new Error("down");
    };
    const res = await app.inject({ method: "GET", url: "/healthz" });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: "ok" });
  });

  it("/readyz is 200 with the checks when every check passes", async () => {
    const { app } = testServer();
    const res = await app.inject({ method: "GET", url: "/readyz" });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      status: "ready",
      checks: [
        { name: "config", ok: true, detail: "loaded" },
        { name: "signer ca", ok: true, detail: "public key matches ca.crt" },
      ],
    });
  });

  it("/readyz is 503 with Retry-After and the checks when one fails", async () => {
    const { app, service } = testServer();
    const checks = [
      { name: "config", ok: true, detail: "loaded" },
      { name: "audit store", ok: false, detail: "the audit table did not answer within 2 s" },
    ];
    service.onReadiness = async () => checks;
    const res = await app.inject({ method: "GET", url: "/readyz" });
    assert.equal(res.statusCode, 503);
    assert.ok(Number(res.headers["retry-after"]) > 0);
    assert.deepEqual(res.json(), { status: "not-ready", checks });
  });

  it("/readyz is 503 when the checks themselves throw, without the error's text", async () => {
    const { app, service } = testServer();
    service.onReadiness = async () => {
      throw new Error("connect ECONNREFUSED 10.1.2.3:443");
    };
    const res = await app.inject({ method: "GET", url: "/readyz" });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().status, "not-ready");
    assert.doesNotMatch(res.body, /ECONNREFUSED/);
  });

  it("GET /v1/ca lists the CA certificates without credentials", async () => {
    const { app, service } = testServer();
    const res = await app.inject({ method: "GET", url: "/v1/ca" });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { cas: service.cas() });
    assert.equal(service.authFailures.length, 0);
  });
});
