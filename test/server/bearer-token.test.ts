// src/auth/bearer-token.ts: which Caller a bearer token yields, and how each bad credential is refused.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTokenAuthenticator } from "../../src/auth/bearer-token.js";
import type { CredentialInput } from "../../src/auth/authenticator.js";
import { isKubecaError, type KubecaError } from "../../src/errors/index.js";
import { CP_TOKEN, NODES, sha256Hex, TOKENS, WORKER_TOKEN } from "./server-fixtures.js";

function input(authorization?: string | string[]): CredentialInput {
  return {
    headers: authorization === undefined ? {} : { authorization },
    method: "POST",
    url: "/v1/sign",
    body: undefined,
  };
}

async function refusal(promise: Promise<unknown>): Promise<KubecaError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(isKubecaError(e), `expected a KubecaError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a refusal");
}

describe("bearer token authenticator", () => {
  const authenticator = createTokenAuthenticator(TOKENS, NODES);

  it("a control-plane node's token yields that node, its role and the token's name", async () => {
    const caller = await authenticator.authenticate(input(`Bearer ${CP_TOKEN}`));
    assert.deepEqual(caller, { method: "token", subject: "cp1-renewer", node: "cp1", role: "control-plane" });
  });

  it("a worker's token yields the worker role", async () => {
    const caller = await authenticator.authenticate(input(`Bearer ${WORKER_TOKEN}`));
    assert.deepEqual(caller, { method: "token", subject: "worker1-renewer", node: "worker1", role: "worker" });
  });

  it("the scheme is case-insensitive", async () => {
    const caller = await authenticator.authenticate(input(`bearer ${CP_TOKEN}`));
    assert.equal(caller.subject, "cp1-renewer");
  });

  it("a missing header is refused and says so", async () => {
    const e = await refusal(authenticator.authenticate(input()));
    assert.equal(e.code, "KUBECA_UNAUTHENTICATED");
    assert.match(e.detail, /no Authorization header/);
  });

  it("another scheme is refused, naming the scheme but not the credential", async () => {
    const e = await refusal(authenticator.authenticate(input("Basic dXNlcjpzZWNyZXQ=")));
    assert.equal(e.code, "KUBECA_UNAUTHENTICATED");
    assert.match(e.detail, /Basic scheme/);
    assert.doesNotMatch(e.detail, /dXNlcjpzZWNyZXQ/);
  });

  it("an unknown token is refused without echoing it", async () => {
    const e = await refusal(authenticator.authenticate(input("Bearer not-a-configured-token")));
    assert.equal(e.code, "KUBECA_UNAUTHENTICATED");
    assert.match(e.detail, /not one of the configured callers' tokens/);
    assert.doesNotMatch(e.detail, /not-a-configured-token/);
  });

  it("Bearer with no token, a malformed token and two headers are each refused with their own reason", async () => {
    assert.match((await refusal(authenticator.authenticate(input("Bearer")))).detail, /no token/);
    assert.match((await refusal(authenticator.authenticate(input("Bearer a b")))).detail, /malformed/);
    assert.match((await refusal(authenticator.authenticate(input([`Bearer ${CP_TOKEN}`, "Bearer x"])))).detail, /more than one/);
  });

  it("the token's digest, sent as the token, is refused", async () => {
    const e = await refusal(authenticator.authenticate(input(`Bearer ${sha256Hex(CP_TOKEN)}`)));
    assert.equal(e.code, "KUBECA_UNAUTHENTICATED");
  });

  it("the development token authenticates as its node with method dev-token", async () => {
    const withDev = createTokenAuthenticator(TOKENS, NODES, { devToken: { token: "dev-token-abc", node: "cp1" } });
    const caller = await withDev.authenticate(input("Bearer dev-token-abc"));
    assert.deepEqual(caller, { method: "dev-token", subject: "development token", node: "cp1", role: "control-plane" });
    // and configured tokens still work beside it
    assert.equal((await withDev.authenticate(input(`Bearer ${CP_TOKEN}`))).subject, "cp1-renewer");
  });

  it("refuses to build when a token names an unknown node or two callers share a token", () => {
    assert.throws(
      () => createTokenAuthenticator([{ name: "x", sha256: sha256Hex("x"), node: "nowhere" }], NODES),
      (e: unknown) => isKubecaError(e) && e.code === "KUBECA_CONFIG_INVALID" && /nowhere/.test(e.detail),
    );
    assert.throws(
      () => createTokenAuthenticator([...TOKENS, { name: "copy", sha256: TOKENS[0]!.sha256, node: "cp1" }], NODES),
      (e: unknown) => isKubecaError(e) && e.code === "KUBECA_CONFIG_INVALID" && /same SHA-256/.test(e.detail),
    );
  });
});
