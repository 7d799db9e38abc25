// The kubelet signer's log lines (pino): one JSON object a line with time, level name, component,
// msg and the caller's fields; debug lines only with --debug.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { jsonLinesLog } from "../../src/kubelet/kubelet-log.js";

function capture() {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (d) => (text += d));
  return { stream, lines: () => text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), text: () => text };
}

const at = new Date("2026-11-27T08:53:00.000Z");

describe("jsonLinesLog", () => {
  it("writes each level as one JSON line with the same fields as before: time, level, component, msg, fields", () => {
    const out = capture();
    const log = jsonLinesLog(out.stream, { now: () => at });
    log.info("csr approve", { csr: "csr-abc", node: "cp-1", reason: "AutoApproved" });
    log.warn("csr retry", { csr: "csr-abc", attempt: 2, retryInMs: 400, error: "apiserver answered 500" });
    log.error("stopping", {});
    assert.deepEqual(out.lines(), [
      { time: "2026-11-27T08:53:00.000Z", level: "info", component: "kubelet-signer", msg: "csr approve", csr: "csr-abc", node: "cp-1", reason: "AutoApproved" },
      { time: "2026-11-27T08:53:00.000Z", level: "warn", component: "kubelet-signer", msg: "csr retry", csr: "csr-abc", attempt: 2, retryInMs: 400, error: "apiserver answered 500" },
      { time: "2026-11-27T08:53:00.000Z", level: "error", component: "kubelet-signer", msg: "stopping" },
    ]);
    assert.equal(out.text().split("\n").length, 4, "three lines and a final newline");
  });

  it("debug lines appear only when asked for", () => {
    const quiet = capture();
    jsonLinesLog(quiet.stream, { now: () => at }).debug("csr skipped", { csr: "a", why: "not ours" });
    assert.equal(quiet.text(), "");
    const loud = capture();
    jsonLinesLog(loud.stream, { debug: true, now: () => at }).debug("csr skipped", { csr: "a", why: "not ours" });
    assert.deepEqual(loud.lines(), [{ time: "2026-11-27T08:53:00.000Z", level: "debug", component: "kubelet-signer", msg: "csr skipped", csr: "a", why: "not ours" }]);
  });

  it("a message with quotes and a newline stays one line of valid JSON", () => {
    const out = capture();
    jsonLinesLog(out.stream, { now: () => at }).warn('csr "x"\nwatch ended', { error: "line1\nline2" });
    assert.equal(out.text().split("\n").length, 2);
    assert.equal(out.lines()[0]!.msg, 'csr "x"\nwatch ended');
    assert.equal(out.lines()[0]!.error, "line1\nline2");
  });
});
