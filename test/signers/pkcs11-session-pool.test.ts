// src/signers/pkcs11-session-pool.ts with counted sessions: the limit holds under any load, waiters
// are served in arrival order, a discarded session is replaced for the next waiter.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SessionPool } from "../../src/signers/pkcs11-session-pool.js";

function countedPool(size: number, failOpen = () => false) {
  let next = 0;
  let open = 0;
  let most = 0;
  const closed: number[] = [];
  const pool = new SessionPool({
    size,
    open: () => {
      if (failOpen()) throw new Error("CKR_TOKEN_NOT_PRESENT");
      open++;
      most = Math.max(most, open);
      return Buffer.from([next++]);
    },
    close: (s) => {
      open--;
      closed.push(s[0]!);
    },
  });
  return { pool, stats: () => ({ open, most, closed, opened: next }) };
}

describe("the PKCS#11 session pool", () => {
  it("never has more sessions open than its size, and serves waiters in arrival order", async () => {
    const { pool, stats } = countedPool(3);
    const held = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    const order: number[] = [];
    const waiting = Array.from({ length: 10 }, (_, i) => pool.acquire().then((s) => (order.push(i), s)));
    assert.equal(stats().opened, 3);
    for (const s of held) pool.release(s);
    for (const w of waiting) pool.release(await w);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual([stats().most, stats().opened, pool.openCount], [3, 3, 3]);
  });

  it("closes a discarded session and opens a new one for the next waiter", async () => {
    const { pool, stats } = countedPool(1);
    const first = await pool.acquire();
    const waiter = pool.acquire();
    pool.discard(first);
    const second = await waiter;
    assert.deepEqual([first[0], second[0], stats().closed, stats().open], [0, 1, [0], 1]);
  });

  it("hands the open failure to the waiter and gives the slot back", async () => {
    let fail = false;
    const { pool, stats } = countedPool(1, () => fail);
    const first = await pool.acquire();
    const waiter = pool.acquire();
    fail = true;
    pool.discard(first);
    await assert.rejects(waiter, /CKR_TOKEN_NOT_PRESENT/);
    assert.equal(pool.openCount, 0);
    fail = false;
    const again = await pool.acquire();
    assert.deepEqual([again[0], stats().open], [1, 1]);
  });

  it("discardIdle closes every idle session and keeps busy ones", async () => {
    const { pool, stats } = countedPool(3);
    const [a, b, c] = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    pool.release(a!);
    pool.release(b!);
    pool.discardIdle();
    assert.deepEqual([stats().closed.sort(), pool.openCount], [[0, 1], 1]);
    pool.release(c!);
    pool.close();
    assert.deepEqual([stats().open, pool.openCount], [0, 0]);
    await assert.rejects(pool.acquire(), /closed/);
  });
});
