// docs/metrics.md and the code stay in step: every kubeca_ metric either process registers is a row
// of the doc's tables with its type and labels, and every row is a registered metric; every EMF
// metric name is documented; the alert rules shown are infra/prometheus/kubeca-alerts.yaml byte for
// byte, and promtool accepts them and proves each alert with test/metrics/kubeca-alerts.promtest.yaml.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { EMF_METRIC_NAMES } from "../../src/metrics/emf.js";
import { KubeletSignerMetrics, ServeMetrics } from "../../src/metrics/prometheus.js";
import { promtoolPath } from "../support/prometheus-text.js";

const root = resolve(import.meta.dirname, "..", "..");
const doc = readFileSync(resolve(root, "docs/metrics.md"), "utf8");

interface Registered {
  readonly type: string;
  readonly labels: readonly string[];
}

async function registered(): Promise<Map<string, Registered>> {
  const out = new Map<string, Registered>();
  for (const m of [new ServeMetrics({ version: "doc", processMetrics: false }), new KubeletSignerMetrics({ version: "doc", processMetrics: false })]) {
    for (const family of await m.registry.getMetricsAsJSON()) {
      const metric = m.registry.getSingleMetric(family.name) as unknown as { labelNames?: string[] };
      out.set(family.name, { type: String(family.type), labels: [...(metric.labelNames ?? [])] });
    }
  }
  return out;
}

/** Rows of the doc's metric tables: | `name` | type | `a`, `b` | meaning | */
function documented(): Map<string, Registered> {
  const rows = new Map<string, Registered>();
  for (const line of doc.split("\n")) {
    const m = /^\| `(kubeca_[a-z_]+)` \| (counter|gauge|histogram) \|([^|]*)\|/.exec(line);
    if (!m) continue;
    assert.ok(!rows.has(m[1]!), `${m[1]} documented twice`);
    const labels = m[3]!.trim() === "" ? [] : m[3]!.split(",").map((l) => l.trim().replace(/^`|`$/g, ""));
    rows.set(m[1]!, { type: m[2]!, labels });
  }
  return rows;
}

describe("docs/metrics.md", () => {
  it("documents every kubeca metric with its type and labels, and no other", async () => {
    const code = await registered();
    const rows = documented();
    assert.ok(code.size >= 16, `only ${code.size} metrics registered`);
    assert.deepEqual([...code.keys()].filter((n) => !rows.has(n)), [], "registered but not documented");
    assert.deepEqual([...rows.keys()].filter((n) => !code.has(n)), [], "documented but not registered");
    for (const [name, r] of code) assert.deepEqual(rows.get(name), r, name);
  });

  it("follows Prometheus naming: counters end in _total, durations in _seconds, timestamps in _timestamp_seconds", async () => {
    for (const [name, r] of await registered()) {
      assert.equal(r.type === "counter", name.endsWith("_total"), `${name}: _total exactly for counters`);
      if (r.type === "histogram") assert.ok(name.endsWith("_seconds"), name);
      if (name.includes("expiry")) assert.ok(name.endsWith("_timestamp_seconds"), name);
      for (const label of r.labels) assert.match(label, /^[a-z][a-z_]*$/, `${name} label ${label}`);
    }
  });

  it("names every CloudWatch EMF metric", () => {
    for (const name of EMF_METRIC_NAMES) assert.match(doc, new RegExp(`\`${name}\``), name);
  });

  it("shows the alert rules of infra/prometheus/kubeca-alerts.yaml unchanged", () => {
    const rules = readFileSync(resolve(root, "infra/prometheus/kubeca-alerts.yaml"), "utf8");
    const start = doc.indexOf("```yaml\n# Prometheus alerting rules for kubeca");
    assert.ok(start >= 0, "the rules block is in the doc");
    const block = doc.slice(start + "```yaml\n".length, doc.indexOf("```\n", start + 8));
    assert.equal(block, rules);
  });

  it("promtool accepts the rules and its unit tests prove each alert", (t) => {
    const promtool = promtoolPath();
    // .ci/run installs Debian's prometheus package for promtool, so CI always runs this; a development
    // machine without it is told so in the test report, not silently passed.
    if (!promtool) {
      assert.ok(!process.env.CI, "CI must have promtool: .ci/run installs the prometheus package");
      t.skip("promtool is not installed here (apt-get install prometheus); CI runs this check");
      return;
    }
    const check = spawnSync(promtool, ["check", "rules", "infra/prometheus/kubeca-alerts.yaml"], { cwd: root, encoding: "utf8" });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /SUCCESS: 3 rules found/);
    const unit = spawnSync(promtool, ["test", "rules", "test/metrics/kubeca-alerts.promtest.yaml"], { cwd: root, encoding: "utf8" });
    assert.equal(unit.status, 0, unit.stdout + unit.stderr);
    assert.match(unit.stdout, /SUCCESS/);
  });
});
