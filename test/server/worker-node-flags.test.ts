// What a worker of `kubeca serve --workers N` starts with: the primary's Node.js flags and a smaller
// young generation, unless the operator chose a semi-space size (flag or NODE_OPTIONS).
import assert from "node:assert/strict";
import { test } from "node:test";
import { workerNodeFlags } from "../../src/server/cluster/worker-node-flags.js";

test("adds --max-semi-space-size=8 after the primary's own flags", () => {
  assert.deepEqual(workerNodeFlags([], undefined), ["--max-semi-space-size=8"]);
  assert.deepEqual(workerNodeFlags(["--enable-source-maps"], "--no-warnings"), ["--enable-source-maps", "--max-semi-space-size=8"]);
});

test("leaves a semi-space size the operator chose alone, in either spelling, as a flag or in NODE_OPTIONS", () => {
  assert.deepEqual(workerNodeFlags(["--max-semi-space-size=32"], undefined), ["--max-semi-space-size=32"]);
  assert.deepEqual(workerNodeFlags(["--max_semi_space_size=2"], undefined), ["--max_semi_space_size=2"]);
  assert.deepEqual(workerNodeFlags(["--max-semi-space-size", "4"], undefined), ["--max-semi-space-size", "4"]);
  assert.deepEqual(workerNodeFlags([], "--max-old-space-size=512 --max-semi-space-size=16"), []);
});
