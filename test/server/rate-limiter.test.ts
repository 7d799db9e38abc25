// Token buckets under a pinned clock: per caller and overall, one token per item, both charged or
// neither, and Retry-After the seconds until both would hold the cost.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Caller } from "../../src/auth/caller.js";
import { isKubecaError, type KubecaError } from "../../src/errors/index.js";
import { createRateLimiter } from "../../src/server/rate-limiter.js";
import { TokenBucket } from "../../src/server/token-bucket.js";

const caller = (subject: string): Caller => ({ method: "token", subject, node: subject, role: "control-plane" });
const CP1 = caller("cp-1");
const CP2 = caller("cp-2");

function limited(fn: () => void): KubecaError {
  try {
    fn();
  } catch (e) {
    assert.ok(isKubecaError(e));
    return e;
  }
  assert.fail("expected KUBECA_RATE_LIMITED");
}

describe("TokenBucket", () => {
  it("starts full, refills at its rate, never above its burst", () => {
    const b = new TokenBucket({ ratePerSecond: 2, burst: 10 }, 0);
    b.take(10, 0);
    assert.equal(b.available(0), 0);
    assert.equal(b.available(1500), 3);
    assert.equal(b.available(60_000), 10);
  });
  it("says how long until a cost is there", () => {
    const b = new TokenBucket({ ratePerSecond: 2, burst: 10 }, 0);
    b.take(10, 0);
    assert.equal(b.waitSeconds(4, 0), 2);
    assert.equal(b.waitSeconds(4, 2000), 0);
  });
});

describe("rate limiter", () => {
  const refusedCredentials = { ratePerSecond: 1, burst: 32 };
  const config = { perCaller: { ratePerSecond: 1, burst: 32 }, overall: { ratePerSecond: 10, burst: 40 }, refusedCredentials };

  it("admits a caller's burst, then answers 429 with Retry-After for the missing tokens", () => {
    let t = 0;
    const limiter = createRateLimiter(config, () => t);
    limiter.admit(CP1, 12);
    limiter.admit(CP1, 12);
    const e = limited(() => limiter.admit(CP1, 12)); // 8 left, 12 needed: 4 s at 1/s
    assert.equal(e.code, "KUBECA_RATE_LIMITED");
    assert.equal(e.retryAfter, 4);
    assert.match(e.detail, /cp-1 is over its rate limit \(32 at once, 1 per second\): this request needs 12 tokens \(one per item\), 8 left/);
    t = 4000;
    limiter.admit(CP1, 12);
  });

  it("a refused request charges nothing: the smaller request after it still passes", () => {
    const limiter = createRateLimiter(config, () => 0);
    limiter.admit(CP1, 30);
    limited(() => limiter.admit(CP1, 12));
    limiter.admit(CP1, 2);
  });

  it("callers have their own buckets; the overall bucket is shared", () => {
    const limiter = createRateLimiter(config, () => 0);
    limiter.admit(CP1, 30);
    const e = limited(() => limiter.admit(CP2, 12)); // cp-2's bucket is full, the service has 10 left
    assert.match(e.detail, /the service is over its overall rate limit \(40 at once, 10 per second\)/);
    assert.equal(e.retryAfter, 1);
    limiter.admit(CP2, 10);
  });

  it("a node is one caller however it proves itself: its token, each of its certificates and each IAM session share its bucket", () => {
    const limiter = createRateLimiter({ ...config, overall: { ratePerSecond: 10, burst: 1000 } }, () => 0);
    const asCp1: Caller[] = [
      CP1,
      { method: "certificate", subject: "CN=system:node:cp-1, serial 1a (ca)", node: "cp-1", role: "control-plane" },
      { method: "certificate", subject: "CN=system:node:cp-1, serial 2b (ca)", node: "cp-1", role: "control-plane" },
      { method: "aws-iam", subject: "arn:aws:sts::111122223333:assumed-role/kubeca-cp-1/one", node: "cp-1", role: "control-plane" },
      { method: "aws-iam", subject: "arn:aws:sts::111122223333:assumed-role/kubeca-cp-1/two", node: "cp-1", role: "control-plane" },
    ];
    for (const c of asCp1.slice(0, 4)) limiter.admit(c, 8);
    const e = limited(() => limiter.admit(asCp1[4]!, 8)); // 32 - 4 × 8 = 0 left in cp-1's one bucket
    assert.match(e.detail, /node cp-1 is over its rate limit/);
    limiter.admit(CP2, 8);
  });

  it("Retry-After is at least one second", () => {
    let t = 0;
    const limiter = createRateLimiter({ perCaller: { ratePerSecond: 100, burst: 32 }, overall: { ratePerSecond: 100, burst: 100 }, refusedCredentials }, () => t);
    limiter.admit(CP1, 32);
    assert.equal(limited(() => limiter.admit(CP1, 1)).retryAfter, 1);
  });

  it("refused credentials are bounded per source address, and one address's flood does not block another", () => {
    let t = 0;
    const limiter = createRateLimiter(config, () => t);
    for (let i = 0; i < 32; i++) limiter.admitRefusedCredential("203.0.113.7");
    const e = limited(() => limiter.admitRefusedCredential("203.0.113.7"));
    assert.equal(e.code, "KUBECA_RATE_LIMITED");
    assert.equal(e.retryAfter, 1);
    assert.match(e.detail, /too many refused credentials from 203\.0\.113\.7/);
    limiter.admitRefusedCredential("198.51.100.9");
    limiter.admit(CP1, 1); // signing callers are not charged for someone else's bad tokens
    t = 1000;
    limiter.admitRefusedCredential("203.0.113.7");
  });
});
