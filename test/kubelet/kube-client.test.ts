// The signer's API calls keep their connections: client-node alone opens one per request.
import assert from "node:assert/strict";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { test } from "node:test";
import { createCsrApi } from "../../src/kubelet/csr-api.js";
import { KeepAlivePool } from "../../src/kubelet/kube-client.js";
import { startFakeApiserver } from "../support/fake-apiserver.js";

test("the CSR API reuses its connections across sequential and concurrent calls, and still authenticates each request", async (t) => {
  const server = await startFakeApiserver();
  t.after(() => server.close());
  server.addNode("cp-1", [{ type: "InternalIP", address: "10.0.0.10" }]);
  const api = createCsrApi(server.kubeConfig("kubeca-a"));
  const before = server.connections;
  for (let i = 0; i < 10; i++) assert.equal((await api.readNode("cp-1"))?.metadata?.name, "cp-1");
  assert.equal(server.connections - before, 1, "ten sequential calls over one connection");
  const nodes = await Promise.all(Array.from({ length: 4 }, () => api.readNode("cp-1")));
  assert.deepEqual(nodes.map((n) => n?.metadata?.name), ["cp-1", "cp-1", "cp-1", "cp-1"]);
  assert.ok(server.connections - before <= 4, `four concurrent calls opened at most four connections (${server.connections - before})`);
  assert.equal((await api.list()).items.length, 0);
  // The bearer token still goes on every request: the server saw the same user each time.
  assert.deepEqual([...new Set(server.requests.map((r) => r.user))], ["kubeca-a"]);
  api.closeIdle();
  assert.equal(await api.readNode("cp-2"), undefined, "a 404 is still 'no such Node' after closing idle connections");
});

test("the pool keeps one keep-alive agent while the TLS options stay the same, and a new one when they change; proxy agents pass through", () => {
  const pool = new KeepAlivePool();
  const a = pool.agentFor(new HttpsAgent({ ca: Buffer.from("ca-1"), rejectUnauthorized: true })) as HttpsAgent;
  assert.ok(a instanceof HttpsAgent);
  assert.equal(a.options.keepAlive, true);
  assert.deepEqual(a.options.ca, Buffer.from("ca-1"));
  assert.equal(pool.agentFor(new HttpsAgent({ ca: Buffer.from("ca-1"), rejectUnauthorized: true })), a, "equal CA bytes: same agent");
  const b = pool.agentFor(new HttpsAgent({ ca: Buffer.from("ca-2"), rejectUnauthorized: true })) as HttpsAgent;
  assert.notEqual(b, a, "a rotated CA gets new connections");
  assert.deepEqual(b.options.ca, Buffer.from("ca-2"));
  const c = pool.agentFor(new HttpsAgent({ ca: Buffer.from("ca-2"), rejectUnauthorized: false })) as HttpsAgent;
  assert.notEqual(c, b, "turning verification off is a different connection");
  assert.equal(c.options.rejectUnauthorized, false);
  const plain = pool.agentFor(new HttpAgent()) as HttpAgent;
  assert.ok(!(plain instanceof HttpsAgent) && plain instanceof HttpAgent, "plain HTTP stays plain HTTP");
  class ProxyAgent extends HttpsAgent {}
  const proxy = new ProxyAgent();
  assert.equal(pool.agentFor(proxy), proxy, "a proxy agent is used as client-node built it");
});
