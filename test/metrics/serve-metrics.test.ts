// GET /metrics on the app `kubeca serve` composes, with CAs whose keys live in the local KMS server:
// the text parses as the Prometheus exposition format (and promtool reads it), and the counters move
// with real requests through the real pipeline: issued, reissued, refused by rule, a throttled KMS,
// refused credentials, a rate limit. The fleet gauges follow issuance and are rebuilt from the log
// after a restart.
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { rm } from "node:fs/promises";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { main } from "../../src/cli/main.js";
import { loadConfigFile } from "../../src/config/index.js";
import { ServeMetrics } from "../../src/metrics/prometheus.js";
import { createApp } from "../../src/server/index.js";
import { SECTION_6, csrFor } from "../issuance/section6.js";
import { writeConfig } from "../issuance/service-fixture.js";
import { buildCsr, withCommonName, withDnsNames, withIpAddresses, withKey } from "../support/csr-builder.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { listen, type HttpClient } from "../support/http.js";
import { parsePrometheusText, promtoolCheckMetrics, promtoolPath, sampleValue, samplesOf, type Family } from "../support/prometheus-text.js";

process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
process.env.AWS_SECRET_ACCESS_KEY = "secret";
process.env.AWS_REGION = "us-east-1";
process.env.AWS_EC2_METADATA_DISABLED = "true";

const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const TOKEN = "cp-1-token-for-the-metrics-tests";
const BURST = 32;
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const quiet = new Writable({ write: (_c, _e, cb) => cb() });

async function scrape(http: HttpClient): Promise<{ families: Map<string, Family>; text: string; contentType: string }> {
  const res = await http.get("/metrics");
  assert.equal(res.status, 200, res.text);
  return { families: parsePrometheusText(res.text), text: res.text, contentType: String(res.headers["content-type"]) };
}

const requests = (f: Map<string, Family>, outcome: string, ca: string, file: string) =>
  sampleValue(f, "kubeca_certificate_requests_total", { outcome, ca, file });

describe("GET /metrics on kubeca serve", () => {
  let kms: KmsServer;
  let dir: string;
  let configPath: string;
  let app: FastifyInstance;
  let http: HttpClient;
  let adminNotAfter: string;

  const sign = (name: string, csr: string) => http.post("/v1/sign").set(headers).send({ name, csr });

  before(async () => {
    kms = await startKmsServer();
    const keys = { ca: await kms.createKey("ECC_NIST_P256"), "etcd-ca": await kms.createKey("ECC_NIST_P256"), "front-proxy-ca": await kms.createKey("ECC_NIST_P256") };
    const signer = (k: { arn: string }) => ({ type: "aws-kms", keyId: k.arn, endpoint: kms.url });
    ({ dir, configPath } = await writeConfig({
      signers: { ca: signer(keys.ca), "etcd-ca": signer(keys["etcd-ca"]), "front-proxy-ca": signer(keys["front-proxy-ca"]) },
      edit: (raw) => {
        raw.callers = { tokens: [{ name: "cp-1-token", sha256: sha(TOKEN), node: "cp-1" }] };
        // Slow refill: nothing comes back during the test, so the 429 below is deterministic.
        raw.rateLimits = { perCaller: { ratePerSecond: 0.001, burst: BURST }, overall: { ratePerSecond: 1000, burst: 1000 }, refusedCredentials: { ratePerSecond: 0.001, burst: 32 } };
      },
    }));
    let stderr = "";
    const err = new Writable({ write: (c, _e, cb) => ((stderr += String(c)), cb()) });
    const init = await main(["ca", "init", "--config", configPath], { stdout: quiet, stderr: err, env: process.env, cwd: dir });
    assert.equal(init, 0, stderr);
    app = await createApp(await loadConfigFile(configPath), { logger: false, prometheus: new ServeMetrics({ version: "1.2.3-test" }) });
    http = await listen(app);
  });
  after(async () => {
    await app?.close();
    await kms?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the text format, valid for the strict reader and for promtool, with build info and CA expiry", async () => {
    const { families, text, contentType } = await scrape(http);
    assert.equal(contentType, "text/plain; version=0.0.4; charset=utf-8");
    assert.equal(sampleValue(families, "kubeca_build_info", { version: "1.2.3-test", nodejs: process.version }), 1);
    const caCert = new X509Certificate(await import("node:fs/promises").then((fs) => fs.readFile(`${dir}/pki/ca.crt`)));
    assert.equal(sampleValue(families, "kubeca_ca_certificate_expiry_timestamp_seconds", { ca: "ca" }), Date.parse(caCert.validTo) / 1000);
    assert.deepEqual(samplesOf(families, "kubeca_ca_certificate_expiry_timestamp_seconds").map((s) => s.labels.ca).sort(), ["ca", "etcd-ca", "front-proxy-ca"]);
    // Every file the service signs starts at 0 for every outcome, so a first refusal is an increase.
    for (const [file, row] of Object.entries(SECTION_6)) {
      for (const outcome of ["issued", "reissued", "refused"]) assert.equal(requests(families, outcome, row.issuer, file), 0, `${outcome} ${file}`);
    }
    assert.equal(families.get("kubeca_certificate_requests_total")?.type, "counter");
    assert.equal(families.get("kubeca_signer_sign_duration_seconds")?.type, "histogram");
    const promtool = promtoolPath();
    assert.ok(promtool || !process.env.CI, "CI installs promtool (.ci/run: apt-get install prometheus)");
    if (promtool) {
      const checked = promtoolCheckMetrics(promtool, text);
      // 3 = lint findings; promtool flags prom-client's own nodejs_*_total gauges, never ours.
      assert.ok(checked.code === 0 || checked.code === 3, checked.output);
      const findings = checked.output.split("\n").filter((l) => l.trim() !== "");
      assert.deepEqual(findings.filter((l) => !l.startsWith("nodejs_")), [], checked.output);
    }
  });

  it("an issued certificate counts under its CA and file, with one timed KMS signature and one audit append", async () => {
    const before = (await scrape(http)).families;
    const csr = csrFor("admin.conf");
    const res = await sign("admin.conf", csr);
    assert.equal(res.status, 200, res.text);
    adminNotAfter = res.body.notAfter;
    const after = (await scrape(http)).families;
    assert.equal(requests(after, "issued", "ca", "admin.conf"), 1);
    assert.equal(
      sampleValue(after, "kubeca_signer_sign_duration_seconds_count", { ca: "ca" })! - (sampleValue(before, "kubeca_signer_sign_duration_seconds_count", { ca: "ca" }) ?? 0),
      1,
    );
    assert.ok(sampleValue(after, "kubeca_signer_sign_duration_seconds_sum", { ca: "ca" })! > 0);
    assert.equal(sampleValue(after, "kubeca_audit_append_duration_seconds_count")! - sampleValue(before, "kubeca_audit_append_duration_seconds_count")!, 1);
    // The fleet gauge follows the append at once.
    assert.equal(sampleValue(after, "kubeca_node_certificate_expiry_timestamp_seconds", { node: "cp-1", file: "admin.conf" }), Date.parse(adminNotAfter) / 1000);

    // The same CSR again within the idempotency window: reissued, no second signature.
    const again = await sign("admin.conf", csr);
    assert.equal(again.status, 200);
    const replayed = (await scrape(http)).families;
    assert.equal(requests(replayed, "reissued", "ca", "admin.conf"), 1);
    assert.equal(sampleValue(replayed, "kubeca_signer_sign_duration_seconds_count", { ca: "ca" }), sampleValue(after, "kubeca_signer_sign_duration_seconds_count", { ca: "ca" }));
  });

  it("refusals count under their file and each rule, and a name that is no kubeadm file never becomes a label", async () => {
    const evil = buildCsr(withKey("P-256"), withCommonName("kube-apiserver"), withDnsNames(...SECTION_6.apiserver!.dns, "evil.example.com"), withIpAddresses(...SECTION_6.apiserver!.ip)).pem;
    const refused = await sign("apiserver", evil);
    assert.equal(refused.status, 403, refused.text);
    const unknown = await sign("etc-shadow-please", csrFor("admin.conf"));
    assert.equal(unknown.status, 400, unknown.text);
    const { families, text } = await scrape(http);
    assert.equal(requests(families, "refused", "ca", "apiserver"), 1);
    assert.equal(sampleValue(families, "kubeca_certificate_refusals_total", { rule: "dns-san-not-allowed" }), 1);
    assert.equal(requests(families, "refused", "unknown", "unknown"), 1);
    assert.equal(sampleValue(families, "kubeca_certificate_refusals_total", { rule: "unknown-file" }), 1);
    assert.doesNotMatch(text, /etc-shadow-please|evil\.example\.com/);
  });

  it("a throttled KMS counts as a signer failure by code, and the request is a 503", async () => {
    kms.fail("ThrottlingException", 10, "Sign");
    try {
      const res = await sign("scheduler.conf", csrFor("scheduler.conf"));
      assert.equal(res.status, 503, res.text);
    } finally {
      kms.clearFaults();
    }
    const { families } = await scrape(http);
    assert.equal(sampleValue(families, "kubeca_signer_failures_total", { ca: "ca", code: "KUBECA_SIGNER_UNAVAILABLE" }), 1);
    assert.equal(sampleValue(families, "kubeca_signer_failures_total", { ca: "ca", code: "KUBECA_SIGNER_MISCONFIGURED" }), 0);
    assert.equal(requests(families, "issued", "ca", "scheduler.conf"), 0);
  });

  it("refused credentials count by the method tried, and never show the token", async () => {
    const wrong = await http.post("/v1/sign").set({ ...headers, authorization: "Bearer not-the-token-0123456789" }).send({ name: "admin.conf", csr: csrFor("admin.conf") });
    assert.equal(wrong.status, 401);
    const none = await http.post("/v1/sign").send({ name: "admin.conf", csr: csrFor("admin.conf") });
    assert.equal(none.status, 401);
    const basic = await http.post("/v1/sign").set({ ...headers, authorization: "Basic dXNlcjpwYXNz" }).send({});
    assert.equal(basic.status, 401);
    const { families, text } = await scrape(http);
    assert.equal(sampleValue(families, "kubeca_authentication_failures_total", { method: "token" }), 1);
    assert.equal(sampleValue(families, "kubeca_authentication_failures_total", { method: "none" }), 1);
    assert.equal(sampleValue(families, "kubeca_authentication_failures_total", { method: "other" }), 1);
    assert.equal(sampleValue(families, "kubeca_authentication_failures_total", { method: "certificate" }), 0);
    assert.doesNotMatch(text, /not-the-token|dXNlcjpwYXNz/);
  });

  it("a request over the caller's rate limit counts as rate limited (caller), nothing decided", async () => {
    const before = (await scrape(http)).families;
    // The burst is partly spent by the tests above; ask for more items than it holds.
    const items = Array.from({ length: BURST }, () => ({ name: "controller-manager.conf", csr: csrFor("controller-manager.conf") }));
    const res = await http.post("/v1/sign/batch").set(headers).send({ items });
    assert.equal(res.status, 429, res.text);
    const { families } = await scrape(http);
    assert.equal(sampleValue(families, "kubeca_rate_limited_requests_total", { limit: "caller" }), 1);
    assert.equal(sampleValue(families, "kubeca_rate_limited_requests_total", { limit: "overall" }), 0);
    assert.equal(requests(families, "issued", "ca", "controller-manager.conf"), requests(before, "issued", "ca", "controller-manager.conf"));
  });

  it("after a restart the fleet gauges are rebuilt from the audit log", async () => {
    await app.close();
    app = await createApp(await loadConfigFile(configPath), { logger: false, prometheus: new ServeMetrics({ version: "1.2.3-test" }) });
    http = await listen(app);
    let families = (await scrape(http)).families;
    // The start-up read runs in the background: wait for it to say it finished.
    for (let i = 0; sampleValue(families, "kubeca_node_certificate_inventory_loaded") !== 1; i++) {
      assert.ok(i < 500, "the inventory never finished loading");
      await new Promise((r) => setImmediate(r));
      families = (await scrape(http)).families;
    }
    assert.deepEqual(
      samplesOf(families, "kubeca_node_certificate_expiry_timestamp_seconds").map((s) => [s.labels.node, s.labels.file, s.value]),
      [["cp-1", "admin.conf", Date.parse(adminNotAfter) / 1000]],
    );
    // Counters start again at 0 in a new process.
    assert.equal(requests(families, "issued", "ca", "admin.conf"), 0);
  });
});
