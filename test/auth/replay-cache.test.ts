// src/auth/replay-cache.ts and dynamodb-replay-cache.ts: a jti is claimed once; the DynamoDB cache is
// shared by every instance (tested with the real SDK against dynalite).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateTableCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { createDynamoDbReplayCache, REPLAY_TABLE_ATTRIBUTES, REPLAY_TABLE_KEY_SCHEMA } from "../../src/auth/dynamodb-replay-cache.js";
import { createMemoryReplayCache } from "../../src/auth/replay-cache.js";
import { isKubecaError } from "../../src/errors/index.js";
import { startDynalite, type Dynalite } from "../support/dynalite.js";

const NOW = 1_795_770_000;

describe("memory replay cache", () => {
  it("claims a jti once; the second claim is refused", async () => {
    const cache = createMemoryReplayCache();
    assert.equal(await cache.claim("jti-aaaaaaaaaaaaaaaa", NOW + 301, NOW), true);
    assert.equal(await cache.claim("jti-aaaaaaaaaaaaaaaa", NOW + 301, NOW + 100), false);
    assert.equal(await cache.claim("jti-bbbbbbbbbbbbbbbb", NOW + 301, NOW + 100), true);
  });

  it("forgets entries once they expire, sweeping them out as claims go by", async () => {
    const cache = createMemoryReplayCache({ sweepEvery: 2 });
    await cache.claim("jti-aaaaaaaaaaaaaaaa", NOW + 301, NOW);
    await cache.claim("jti-bbbbbbbbbbbbbbbb", NOW + 301, NOW);
    assert.equal(cache.size(), 2);
    // Past the expiry both are gone at the next sweep; the iat check refuses such proofs by then anyway.
    assert.equal(await cache.claim("jti-cccccccccccccccc", NOW + 1000, NOW + 400), true);
    assert.equal(await cache.claim("jti-dddddddddddddddd", NOW + 1000, NOW + 400), true);
    assert.equal(cache.size(), 2);
    assert.equal(await cache.claim("jti-aaaaaaaaaaaaaaaa", NOW + 1000, NOW + 400), true);
  });
});

describe("DynamoDB replay cache (dynalite)", () => {
  let dynalite: Dynalite;
  const table = "kubeca-test-replay";
  before(async () => {
    dynalite = await startDynalite();
    await dynalite.client().send(
      new CreateTableCommand({ TableName: table, KeySchema: REPLAY_TABLE_KEY_SCHEMA, AttributeDefinitions: REPLAY_TABLE_ATTRIBUTES, BillingMode: "PAY_PER_REQUEST" }),
    );
  });
  after(() => dynalite.close());

  it("two instances share it: the second use of a jti is refused wherever it arrives", async () => {
    const first = createDynamoDbReplayCache({ client: dynalite.client(), table });
    const second = createDynamoDbReplayCache({ client: dynalite.client(), table });
    assert.equal(await first.claim("jti-shared-0000000001", NOW + 301, NOW), true);
    assert.equal(await second.claim("jti-shared-0000000001", NOW + 301, NOW), false);
    assert.equal(await first.claim("jti-shared-0000000001", NOW + 301, NOW), false);
    assert.equal(await second.claim("jti-shared-0000000002", NOW + 301, NOW), true);
  });

  it("of two instances claiming one jti at the same moment, exactly one wins", async () => {
    const caches = Array.from({ length: 8 }, () => createDynamoDbReplayCache({ client: dynalite.client(), table }));
    const results = await Promise.all(caches.map((c) => c.claim("jti-race-000000000001", NOW + 301, NOW)));
    assert.equal(results.filter(Boolean).length, 1);
  });

  it("stores the expiry as the TTL attribute, in epoch seconds", async () => {
    const client = dynalite.client();
    await createDynamoDbReplayCache({ client, table }).claim("jti-ttl-0000000000001", NOW + 301, NOW);
    const item = await client.send(new GetItemCommand({ TableName: table, Key: { jti: { S: "jti-ttl-0000000000001" } } }));
    assert.deepEqual(item.Item, { jti: { S: "jti-ttl-0000000000001" }, expiresAt: { N: String(NOW + 301) } });
  });

  it("a table it cannot write fails closed as not ready (503, retry), not as a refused credential", async () => {
    const cache = createDynamoDbReplayCache({ client: dynalite.client(), table: "no-such-table" });
    await assert.rejects(cache.claim("jti-missing-00000001", NOW + 301, NOW), (e: unknown) => {
      assert.ok(isKubecaError(e));
      assert.equal(e.code, "KUBECA_NOT_READY");
      assert.equal(e.retryAfter, 2);
      assert.match(e.detail, /DynamoDB table no-such-table/);
      return true;
    });
  });
});
