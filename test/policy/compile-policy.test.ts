// The policy is compiled once at start: config kubeadm could not use either fails there, not per request.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { compilePolicy, durationSeconds, VIOLATION_RULES } from "../../src/policy/index.js";
import { cluster, testConfig } from "./fixtures.js";

describe("compilePolicy", () => {
  it("refuses a serviceSubnet without an index-1 address, naming the field", () => {
    assert.throws(() => compilePolicy(testConfig(cluster({ serviceSubnet: "10.96.0.1/32" }))),
      { code: "KUBECA_CONFIG_INVALID", detail: 'cluster.serviceSubnet: "10.96.0.1/32" has no address at index 1 (the kubernetes Service IP)' });
  });
  it("refuses a controlPlaneEndpoint that is neither host nor host:port", () => {
    assert.throws(() => compilePolicy(testConfig(cluster({ controlPlaneEndpoint: "https://k8s.example.internal:6443" }))), { code: "KUBECA_CONFIG_INVALID" });
  });
  it("exposes the compiled facts and is frozen", () => {
    const p = compilePolicy(testConfig());
    assert.equal(p.facts.serviceIp, "10.96.0.1");
    assert.ok(Object.isFrozen(p));
  });
});

describe("validity.leaf", () => {
  for (const [text, seconds] of [["8760h", 31536000], ["90m", 5400], ["1h30m", 5400], ["45s", 45]] as const) {
    it(`${text} is ${seconds} s`, () => assert.equal(durationSeconds(text, "validity.leaf"), seconds));
  }
  it("0h is refused", () => assert.throws(() => durationSeconds("0h", "validity.leaf"), { code: "KUBECA_CONFIG_INVALID" }));
});

describe("the rule union", () => {
  it("every rule literal is documented in rules.ts by the comment just above it", () => {
    const lines = readFileSync(new URL("../../src/policy/rules.ts", import.meta.url), "utf8").split("\n");
    for (const rule of VIOLATION_RULES) {
      const i = lines.findIndex((l) => l.trim() === `"${rule}",`);
      assert.ok(i > 0, rule);
      assert.match(lines[i - 1] ?? "", /^\s*\/\*\* .+\*\/$/, `${rule} has no comment`);
    }
  });
  it("has no duplicates", () => assert.equal(new Set(VIOLATION_RULES).size, VIOLATION_RULES.length));
});
