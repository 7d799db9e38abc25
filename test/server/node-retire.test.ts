// Retiring a node gone from the cluster, end to end on real parts: the app `kubeca serve` composes
// (CAs in the local KMS server, the file audit log, Prometheus), the built CLI (`kubeca node retire`
// against that server, `kubeca audit inventory` and `kubeca audit verify` on its log) and the Python
// verifier. A node still in the config is refused and the refusal recorded; a node or auditor caller
// is 403; once the node is out of the config, retiring it drops its rows from the inventory (whose
// exit code goes back to 0) and its series from /metrics, also after a restart; a certificate issued
// to it after the retirement brings it back.
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { stringify } from "yaml";
import { fileAuditPaths } from "../../src/audit/index.js";
import { main } from "../../src/cli/main.js";
import { loadConfigFile } from "../../src/config/index.js";
import { ServeMetrics } from "../../src/metrics/prometheus.js";
import { createApp } from "../../src/server/index.js";
import { csrFor } from "../issuance/section6.js";
import { rawConfig } from "../issuance/service-fixture.js";
import { built, BUILT, node22 } from "../support/built.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { listen, type HttpClient } from "../support/http.js";
import { parsePrometheusText, sampleValue, samplesOf } from "../support/prometheus-text.js";
import { run, type Finished } from "../support/processes.js";
import { verifyWithBoth } from "../support/python-audit-verifier.js";

process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
process.env.AWS_SECRET_ACCESS_KEY = "secret";
process.env.AWS_REGION = "us-east-1";
process.env.AWS_EC2_METADATA_DISABLED = "true";

const sha = (t: string) => createHash("sha256").update(t).digest("hex");
const CP3_TOKEN = "cp-3-token-for-the-node-retire-tests";
const OPERATOR_TOKEN = "operator-token-for-the-node-retire-tests";
const AUDITOR_TOKEN = "auditor-token-for-the-node-retire-tests";
const EXPIRY = "kubeca_node_certificate_expiry_timestamp_seconds";
const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const json = { "content-type": "application/json" };

describe("retiring a node gone from the cluster", () => {
  let kms: KmsServer;
  let dir: string;
  let configPath: string;
  let signers: Record<string, unknown>;
  let app: FastifyInstance | undefined;
  let http: HttpClient;
  let url: string;

  /** The config with cp-3 listed (and its token) or without it: the operator removed the node. */
  async function writeConfigFile(withCp3: boolean): Promise<void> {
    const raw = rawConfig({ signers: signers as never });
    if (withCp3) raw.nodes.push({ name: "cp-3", role: "control-plane", advertiseAddress: "10.0.0.12" });
    raw.callers = {
      tokens: withCp3 ? [{ name: "cp-3-token", sha256: sha(CP3_TOKEN), node: "cp-3" }] : [],
      operators: [{ name: "platform-team", sha256: sha(OPERATOR_TOKEN) }],
      auditors: [{ name: "security-team", sha256: sha(AUDITOR_TOKEN) }],
    };
    await writeFile(configPath, stringify(raw));
  }

  /** (Re)starts the service on the config as it is now, and waits until its fleet gauges are read from the log. */
  async function start(): Promise<void> {
    await app?.close();
    app = await createApp(await loadConfigFile(configPath), { logger: false, prometheus: new ServeMetrics({ version: "0.0.0-test" }) });
    http = await listen(app);
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    for (let i = 0; ; i++) {
      if (sampleValue(await scrape(), "kubeca_node_certificate_inventory_loaded") === 1) break;
      assert.ok(i < 3000, "the fleet inventory never finished reading the audit log");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async function scrape() {
    const res = await http.get("/metrics");
    assert.equal(res.status, 200, res.text);
    return parsePrometheusText(res.text);
  }

  /** node → file → expiry gauge value. */
  async function fleetSeries(): Promise<Record<string, Record<string, number>>> {
    const out: Record<string, Record<string, number>> = {};
    for (const s of samplesOf(await scrape(), EXPIRY)) (out[s.labels.node!] ??= {})[s.labels.file!] = s.value;
    return out;
  }

  async function records(): Promise<Record<string, any>[]> {
    const text = await readFile(join(dir, "audit.jsonl"), "utf8");
    return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  }

  function kubeca(args: string[]): Promise<Finished> {
    const env = { PATH: process.env.PATH ?? "", HOME: dir, AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" };
    return run(node22(), [built(BUILT.cli), ...args], { cwd: dir, env, timeoutMs: 60_000 });
  }

  async function inventory(): Promise<{ code: number | null; rows: { node: string; file: string; serial: string }[]; stderr: string }> {
    const r = await kubeca(["audit", "inventory", "--config", configPath, "--expiring-within", "400d", "--output", "json"]);
    const body = JSON.parse(r.stdout) as { certificates: { node: string; file: string; serial: string }[] };
    return { code: r.code, rows: body.certificates.map(({ node, file, serial }) => ({ node, file, serial })), stderr: r.stderr };
  }

  const retire = (name: string, token: string, body: unknown = { reason: "decommissioned in change CHG-1234" }) =>
    http.post(`/v1/nodes/${name}/retire`).set({ ...json, authorization: `Bearer ${token}` }).send(body as object);

  async function sign(file: string): Promise<string> {
    const res = await http.post("/v1/sign").set({ ...json, authorization: `Bearer ${CP3_TOKEN}` }).send({ name: file, csr: csrFor(file) });
    assert.equal(res.status, 200, res.text);
    return res.body.serial as string;
  }

  const serials: Record<string, string> = {};

  before(async () => {
    kms = await startKmsServer();
    const key = async () => ({ type: "aws-kms", keyId: (await kms.createKey("ECC_NIST_P256")).arn, endpoint: kms.url });
    signers = { ca: await key(), "etcd-ca": await key(), "front-proxy-ca": await key() };
    dir = await mkdtemp(join(tmpdir(), "kubeca-node-retire-"));
    configPath = join(dir, "kubeca.yaml");
    await writeConfigFile(true);
    let stderr = "";
    const err = new Writable({ write: (c, _e, cb) => ((stderr += String(c)), cb()) });
    assert.equal(await main(["ca", "init", "--config", configPath], { stdout: quiet, stderr: err, env: process.env, cwd: dir }), 0, stderr);
    await writeFile(join(dir, "operator.token"), OPERATOR_TOKEN + "\n");
    await start();
  });

  after(async () => {
    await app?.close();
    await kms?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a node's certificates are in the inventory and the gauges, and make the inventory exit non-zero", async () => {
    serials.admin = await sign("admin.conf");
    serials.kubeletClient = await sign("apiserver-kubelet-client");
    assert.deepEqual(Object.keys((await fleetSeries())["cp-3"] ?? {}).sort(), ["admin.conf", "apiserver-kubelet-client"]);
    const inv = await inventory();
    assert.equal(inv.code, 1, inv.stderr);
    assert.deepEqual(inv.rows.map((r) => `${r.node} ${r.file} ${r.serial}`).sort(), [`cp-3 admin.conf ${serials.admin}`, `cp-3 apiserver-kubelet-client ${serials.kubeletClient}`]);
  });

  it("refuses to retire a node the config still lists, records the refusal, and changes nothing", async () => {
    const before = (await records()).length;
    const res = await retire("cp-3", OPERATOR_TOKEN);
    assert.equal(res.status, 409, res.text);
    assert.equal(res.headers["content-type"], "application/problem+json; charset=utf-8");
    assert.equal(res.body.code, "KUBECA_NODE_RETIRE_REFUSED");
    assert.match(res.body.detail, /retire cp-3: cp-3 is still listed under nodes: in the config, which trusts it; remove it from the config/);
    assert.deepEqual(res.body.violations.map((v: { rule: string }) => v.rule), ["node-in-config"]);
    const added = (await records()).slice(before);
    assert.equal(added.length, 1);
    const refusal = added[0]!;
    assert.equal(refusal.event, "refused");
    assert.equal(refusal.node, "cp-3");
    assert.equal(refusal.actor.identity, "platform-team");
    assert.equal(refusal.message, "decommissioned in change CHG-1234");
    assert.deepEqual(refusal.violations, res.body.violations);
    assert.deepEqual(Object.keys((await fleetSeries())["cp-3"] ?? {}).sort(), ["admin.conf", "apiserver-kubelet-client"]);
    assert.equal((await inventory()).rows.length, 2);
  });

  it("answers 403 to a node or an auditor, and 400 to a body without a reason, recording no retirement", async () => {
    const before = (await records()).length;
    const asNode = await retire("cp-3", CP3_TOKEN);
    assert.equal(asNode.status, 403, asNode.text);
    assert.equal(asNode.body.code, "KUBECA_FORBIDDEN");
    assert.match(asNode.body.detail, /cp-3-token is a control-plane caller; only operators retire nodes/);
    const asAuditor = await retire("cp-3", AUDITOR_TOKEN);
    assert.equal(asAuditor.status, 403, asAuditor.text);
    const noReason = await retire("cp-3", OPERATOR_TOKEN, { reason: "  " });
    assert.equal(noReason.status, 400, noReason.text);
    assert.equal(noReason.body.violations[0].field, "reason");
    const unknownField = await retire("cp-3", OPERATOR_TOKEN, { reason: "gone", force: true });
    assert.equal(unknownField.status, 400, unknownField.text);
    assert.deepEqual((await records()).slice(before), []);
  });

  it("once the node is out of the config, kubeca node retire drops its rows and its series; the inventory exits 0", async () => {
    await writeConfigFile(false);
    await start();
    // Read back from the log at start.
    assert.deepEqual(Object.keys((await fleetSeries())["cp-3"] ?? {}).sort(), ["admin.conf", "apiserver-kubelet-client"]);

    const r = await kubeca(["node", "retire", "cp-3", "--reason", "decommissioned in change CHG-1234", "--server", url, "--token-file", "operator.token"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^cp-3: retired \(audit record \d+, [0-9T:.-]+Z\); 2 certificate\(s\) left the fleet view:\n/);
    assert.match(r.stdout, new RegExp(`admin\\.conf  serial ${serials.admin}  expires `));
    assert.match(r.stdout, new RegExp(`apiserver-kubelet-client  serial ${serials.kubeletClient}  expires `));

    const last = (await records()).at(-1)!;
    assert.equal(last.event, "node-retired");
    assert.equal(last.node, "cp-3");
    assert.equal(last.message, "decommissioned in change CHG-1234");
    assert.equal(last.actor.identity, "platform-team");
    assert.equal(last.actor.node, undefined);

    assert.equal((await fleetSeries())["cp-3"], undefined);
    const inv = await inventory();
    assert.equal(inv.code, 0, inv.stderr);
    assert.deepEqual(inv.rows, []);
  });

  it("refuses a node retired already and a name never issued a certificate, with the reason, and records both", async () => {
    const before = (await records()).length;
    const again = await retire("cp-3", OPERATOR_TOKEN);
    assert.equal(again.status, 409, again.text);
    assert.deepEqual(again.body.violations.map((v: { rule: string }) => v.rule), ["node-retired"]);
    assert.match(again.body.detail, /cp-3 was retired already \(audit record \d+\) and has been issued nothing since/);
    const unknown = await kubeca(["node", "retire", "cp-9", "--reason", "typo", "--server", url, "--token-file", "operator.token"]);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /kubeca node retire: The node cannot be retired: .*no certificate issued to cp-9 is in the audit log; check the name against kubeca audit inventory\n  - node: .* \[node-unknown\]\nhint: /);
    const added = (await records()).slice(before);
    assert.deepEqual(added.map((r) => [r.event, r.node, r.violations[0].rule]), [["refused", "cp-3", "node-retired"], ["refused", "cp-9", "node-unknown"]]);
  });

  it("stays retired across a restart, and a certificate issued after the retirement brings the node back", async () => {
    await writeConfigFile(true);
    await start();
    assert.equal((await fleetSeries())["cp-3"], undefined, "the start-up read must honour the retirement");
    const renewed = await sign("admin.conf");
    assert.notEqual(renewed, serials.admin);
    const series = (await fleetSeries())["cp-3"];
    assert.deepEqual(Object.keys(series ?? {}), ["admin.conf"], "only the certificate issued after the retirement");
    const inv = await inventory();
    assert.equal(inv.code, 1, inv.stderr);
    assert.deepEqual(inv.rows, [{ node: "cp-3", file: "admin.conf", serial: renewed }]);
  });

  it("leaves a log that kubeca audit verify and the Python verifier prove intact", async () => {
    await app?.close();
    app = undefined;
    const verified = await kubeca(["audit", "verify", "--config", configPath]);
    assert.equal(verified.code, 0, verified.stderr + verified.stdout);
    const caPem = await readFile(join(dir, "pki/ca.crt"), "utf8");
    const verdict = await verifyWithBoth(fileAuditPaths((await loadConfigFile(configPath)).config.audit, dir), [
      { der: new X509Certificate(caPem).publicKey.export({ format: "der", type: "spki" }), pem: caPem },
    ]);
    assert.equal(verdict.ok, true, verdict.broken?.detail);
    const events = (await records()).map((r) => r.event);
    assert.ok(events.includes("node-retired"), events.join(","));
  });
});
