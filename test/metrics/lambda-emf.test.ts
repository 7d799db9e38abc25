// On Lambda the same counters leave as CloudWatch Embedded Metric Format lines: one per invocation
// that counted something, none for one that did not. The HTTP handler runs the real app (createApp,
// the pipeline, the file audit log) on API Gateway events; the kubelet sweep runs one pass against
// the fake apiserver. Each line is checked against the EMF document rules and for exact values.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { loadConfigFile } from "../../src/config/index.js";
import { silentLog } from "../../src/kubelet/kubelet-log.js";
import { createHttpHandler } from "../../src/lambda/http-handler.js";
import { createKubeletSweepHandler } from "../../src/lambda/kubelet-sweep.js";
import { EMF_MAX_VALUES, EmfMetrics } from "../../src/metrics/emf.js";
import { createApp } from "../../src/server/index.js";
import { SECTION_6, csrFor } from "../issuance/section6.js";
import { writeConfig } from "../issuance/service-fixture.js";
import { startHarness, waitFor, type Harness } from "../kubelet/harness.js";
import { MemoryAuditLog } from "../kubelet/memory-audit-log.js";
import { counterSerial, lookup } from "../kubelet/test-ca.js";
import { httpApiEvent, lambdaContext } from "../lambda/api-gateway-events.js";
import { scheduledEvent } from "../lambda/scheduled-event.js";
import { buildCsr, withCommonName, withDnsNames, withIpAddresses, withKey } from "../support/csr-builder.js";

const TOKEN = "cp-1-token-for-the-emf-tests-0123";
const TIMESTAMP = Date.parse("2026-11-27T08:53:00.000Z");

type Emf = Record<string, any> & { _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } };

/** The document rules of the EMF specification a line must follow for CloudWatch to extract it. */
function assertEmf(line: string): Emf {
  assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"), "one line");
  const doc = JSON.parse(line) as Emf;
  assert.equal(typeof doc._aws.Timestamp, "number");
  assert.ok(Array.isArray(doc._aws.CloudWatchMetrics) && doc._aws.CloudWatchMetrics.length > 0);
  for (const directive of doc._aws.CloudWatchMetrics) {
    assert.ok(typeof directive.Namespace === "string" && directive.Namespace.length > 0 && directive.Namespace.length <= 255);
    assert.ok(directive.Metrics.length >= 1 && directive.Metrics.length <= 100);
    for (const set of directive.Dimensions) {
      assert.ok(set.length <= 30);
      for (const name of set) assert.equal(typeof doc[name], "string", `dimension ${name} is a top-level string`);
    }
    for (const m of directive.Metrics) {
      const v = doc[m.Name];
      const values = Array.isArray(v) ? v : [v];
      assert.ok(values.length >= 1 && values.length <= EMF_MAX_VALUES, `${m.Name}: 1..100 values`);
      assert.ok(values.every((x) => typeof x === "number" && Number.isFinite(x)), `${m.Name} is numeric`);
      assert.ok(["Count", "Milliseconds"].includes(m.Unit));
    }
  }
  return doc;
}

describe("CloudWatch EMF from the Lambda HTTP handler", () => {
  const lines: string[] = [];
  let handler: ReturnType<typeof createHttpHandler>;
  let dir: string;
  const headers = { authorization: `Bearer ${TOKEN}` };
  const post = (path: string, body: unknown, h: Record<string, string> = headers) =>
    handler(httpApiEvent({ method: "POST", path, headers: h, body: JSON.stringify(body) }), lambdaContext);

  before(async () => {
    let configPath: string;
    ({ dir, configPath } = await writeConfig({
      edit: (raw) => {
        raw.callers = { tokens: [{ name: "cp-1-token", sha256: createHash("sha256").update(TOKEN).digest("hex"), node: "cp-1" }] };
      },
    }));
    const metrics = new EmfMetrics({ functionName: "kubeca-test-http", write: (line) => lines.push(line), now: () => TIMESTAMP });
    const loaded = await loadConfigFile(configPath);
    handler = createHttpHandler(() => createApp(loaded, { dev: true, logger: false, authentication: { runtime: "lambda" }, metrics }), {
      onInvocationEnd: () => metrics.flush(),
    });
  });
  after(async () => {
    const { rm } = await import("node:fs/promises");
    await rm(dir, { recursive: true, force: true });
  });

  it("an issuing invocation writes one line: the count, the Sign and audit durations, and the CA and file beside them", async () => {
    const res = await post("/v1/sign", { name: "admin.conf", csr: csrFor("admin.conf") });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(lines.length, 1);
    const doc = assertEmf(lines[0]!);
    assert.deepEqual(doc._aws, {
      Timestamp: TIMESTAMP,
      CloudWatchMetrics: [
        {
          Namespace: "kubeca",
          Dimensions: [["FunctionName"]],
          Metrics: [
            { Name: "CertificatesIssued", Unit: "Count" },
            { Name: "SignDuration", Unit: "Milliseconds" },
            { Name: "AuditAppendDuration", Unit: "Milliseconds" },
          ],
        },
      ],
    });
    assert.equal(doc.FunctionName, "kubeca-test-http");
    assert.equal(doc.CertificatesIssued, 1);
    assert.equal(doc.SignDuration.length, 1);
    assert.ok(doc.SignDuration[0] > 0);
    assert.equal(doc.AuditAppendDuration.length, 1);
    assert.deepEqual(doc.kubeca, { issued: { "ca/admin.conf": 1 } });
  });

  it("an invocation that counts nothing writes nothing", async () => {
    const res = await handler(httpApiEvent({ method: "GET", path: "/healthz" }), lambdaContext);
    assert.equal(res.statusCode, 200);
    assert.equal(lines.length, 1);
  });

  it("a batch with a refusal writes one line with both outcomes and the rule", async () => {
    const evil = buildCsr(withKey("P-256"), withCommonName("kube-apiserver"), withDnsNames(...SECTION_6.apiserver!.dns, "evil.example.com"), withIpAddresses(...SECTION_6.apiserver!.ip)).pem;
    const res = await post("/v1/sign/batch", { items: [{ name: "apiserver", csr: evil }, { name: "scheduler.conf", csr: csrFor("scheduler.conf") }] });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(lines.length, 2);
    const doc = assertEmf(lines[1]!);
    assert.deepEqual(
      doc._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name).sort(),
      ["AuditAppendDuration", "CertificatesIssued", "CertificatesRefused", "SignDuration"],
    );
    assert.equal(doc.CertificatesIssued, 1);
    assert.equal(doc.CertificatesRefused, 1);
    assert.equal(doc.AuditAppendDuration.length, 2);
    assert.deepEqual(doc.kubeca, { refused: { "ca/apiserver": 1 }, refusedRules: { "dns-san-not-allowed": 1 }, issued: { "ca/scheduler.conf": 1 } });
  });

  it("a refused credential writes AuthenticationFailures by method, and the token appears nowhere", async () => {
    const res = await post("/v1/sign", { name: "admin.conf", csr: csrFor("admin.conf") }, { authorization: "Bearer wrong-token-0123456789abcdef" });
    assert.equal(res.statusCode, 401);
    assert.equal(lines.length, 3);
    const doc = assertEmf(lines[2]!);
    assert.equal(doc.AuthenticationFailures, 1);
    assert.deepEqual(doc.kubeca, { authFailures: { token: 1 } });
    assert.doesNotMatch(lines[2]!, /wrong-token/);
  });
});

describe("CloudWatch EMF from the kubelet sweep", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it("one pass writes one line with its decisions and signatures", async () => {
    const lines: string[] = [];
    const metrics = new EmfMetrics({ functionName: "kubeca-test-sweep", write: (line) => lines.push(line), now: () => TIMESTAMP });
    const sweep = createKubeletSweepHandler(
      async () => ({
        kubeConfig: h.server.kubeConfig("kubeca-lambda"),
        policy: h.policy,
        audit: new MemoryAuditLog(),
        cas: lookup(h.ca),
        serial: counterSerial(),
        now: () => new Date(),
        log: silentLog,
        identity: "kubeca-lambda",
        metrics,
      }),
      { onInvocationEnd: () => metrics.flush() },
    );
    const good = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] });
    const bad = await h.submit("node:cp-1", { dns: ["cp-2"], ips: ["10.0.0.10"] });
    await waitFor("both CSRs stored", () => h.csr(good) && h.csr(bad));
    const summary = await sweep(scheduledEvent(), lambdaContext);
    assert.deepEqual(summary.outcomes, { approve: 0, deny: 1, sign: 1, fail: 0, skip: 0 });
    assert.equal(lines.length, 1);
    const doc = assertEmf(lines[0]!);
    assert.equal(doc.FunctionName, "kubeca-test-sweep");
    assert.equal(doc.KubeletCsrsApproved, 1);
    assert.equal(doc.KubeletCsrsSigned, 1);
    assert.equal(doc.KubeletCsrsDenied, 1);
    assert.deepEqual(doc.kubeca, {
      approved: { "kubelet-serving/NodeIdentityVerified": 1 },
      signed: { "kubelet-serving/ServingCertificateIssued": 1 },
      denied: { "kubelet-serving/DnsNameNotOnNode": 1 },
    });
    // The harness's test CA signs in memory, without the timing wrapper openIssuingCa adds: no SignDuration here.
    assert.equal(doc.SignDuration, undefined);
  });
});
