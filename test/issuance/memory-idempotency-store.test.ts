// The server's idempotency store: entries live until their window ends, the map never grows past its
// bound, and an unexpired entry is never replaced.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RememberedIssuance } from "../../src/issuance/idempotency-store.js";
import { createMemoryIdempotencyStore } from "../../src/issuance/memory-idempotency-store.js";

const entry = (serial: string): RememberedIssuance => ({
  result: { name: "admin.conf", profile: "admin.conf", issuer: "ca", serial, notBefore: "", notAfter: "", certificate: serial, caCertificate: "" },
  audit: { serial, issuer: "CN=kubernetes", notBefore: "", notAfter: "", certificateSha256: serial },
  requestId: `req-${serial}`,
});
const at = (s: number) => new Date(1_700_000_000_000 + s * 1000);

describe("memory idempotency store", () => {
  it("an entry is found until its expiry, not at it", async () => {
    const store = createMemoryIdempotencyStore(10);
    await store.put("k", entry("01"), at(600), at(0));
    assert.equal((await store.get("k", at(599)))?.result.serial, "01");
    assert.equal(await store.get("k", at(600)), undefined);
    assert.equal(store.size(), 0, "an expired entry is dropped when met");
  });

  it("the first unexpired entry stays; an expired one is replaced", async () => {
    const store = createMemoryIdempotencyStore(10);
    await store.put("k", entry("01"), at(600), at(0));
    await store.put("k", entry("02"), at(700), at(100));
    assert.equal((await store.get("k", at(101)))?.result.serial, "01");
    await store.put("k", entry("03"), at(1300), at(700));
    assert.equal((await store.get("k", at(701)))?.result.serial, "03");
  });

  it("holds at most maxEntries, forgetting the oldest first", async () => {
    const store = createMemoryIdempotencyStore(3);
    for (let i = 0; i < 5; i++) await store.put(`k${i}`, entry(`0${i}`), at(600 + i), at(i));
    assert.equal(store.size(), 3);
    assert.equal(await store.get("k0", at(10)), undefined);
    assert.equal(await store.get("k1", at(10)), undefined);
    assert.equal((await store.get("k4", at(10)))?.result.serial, "04");
  });

  it("drops expired entries on every put, so a quiet server does not hold old certificates", async () => {
    const store = createMemoryIdempotencyStore(100);
    await store.put("old-1", entry("01"), at(600), at(0));
    await store.put("old-2", entry("02"), at(601), at(1));
    await store.put("new", entry("03"), at(1300), at(700));
    assert.equal(store.size(), 1);
  });
});
