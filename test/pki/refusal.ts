// Asserting a KubecaError's code and detail in one line.
import assert from "node:assert/strict";
import { isKubecaError, type ErrorCode } from "../../src/errors/index.js";

export function assertRefused(fn: () => unknown, code: ErrorCode, detail: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isKubecaError(e), `expected a KubecaError, got ${String(e)}`);
    assert.equal(e.code, code, `code (detail: ${e.detail})`);
    if (typeof detail === "string") assert.equal(e.detail, detail);
    else assert.match(e.detail, detail);
    return true;
  });
}

export async function assertRejected(promise: Promise<unknown>, code: ErrorCode, detail: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(isKubecaError(e), `expected a KubecaError, got ${String(e)}`);
    assert.equal(e.code, code, `code (detail: ${e.detail})`);
    assert.match(e.detail, detail);
    return true;
  });
}
