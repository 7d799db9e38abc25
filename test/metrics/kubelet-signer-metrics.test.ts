// GET /metrics on `kubeca kubelet-signer`'s health port, as an operator runs the command: a KMS-held
// CA, the fake apiserver, the file audit log. Decisions count by signer, decision and reason once
// written; Sign calls are timed; leadership, queue depth and watch restarts show; the fleet gauge
// carries the serving and client certificates it signed.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, test } from "node:test";
import { CertificatesV1Api } from "@kubernetes/client-node";
import type { CliIo } from "../../src/cli/command.js";
import { kubeletSignerCommand } from "../../src/cli/commands/kubelet-signer.js";
import { writeKubeletSignerFiles } from "../kubelet/command-fixture.js";
import { CLIENT, certificatePem, startHarness, waitFor, type Harness } from "../kubelet/harness.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import supertest from "supertest";
import { parsePrometheusText, sampleValue, samplesOf, type Family } from "../support/prometheus-text.js";

let kms: KmsServer;
let h: Harness;
let dir: string;

before(async () => {
  process.env.AWS_ACCESS_KEY_ID = "AKIDKUBECATEST";
  process.env.AWS_SECRET_ACCESS_KEY = "kubeca-test-secret";
  kms = await startKmsServer();
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), "kubeca-kubelet-metrics-"));
  await writeKubeletSignerFiles(dir, kms, h.server.url, "nodeWaitSeconds: 0\nservingValidity: 720h");
});
after(async () => {
  await h.close();
  await kms.close();
});

function io(): CliIo & { err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = "";
  stdout.resume();
  stderr.on("data", (d) => (err += d));
  return { stdout, stderr, env: {}, cwd: dir, err: () => err };
}

async function scrape(health: ReturnType<typeof supertest>): Promise<Map<string, Family>> {
  const res = await health.get("/metrics");
  assert.equal(res.status, 200);
  assert.equal(res.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheusText(res.text);
}

const decisions = (f: Map<string, Family>, signer: string, decision: string, reason: string) =>
  sampleValue(f, "kubeca_kubelet_csr_decisions_total", { signer, decision, reason });

test("the kubelet signer's /metrics counts its decisions, signatures, leadership, queue and watch restarts", async () => {
  const cli = io();
  const running = kubeletSignerCommand.run(["--config", join(dir, "kubeca.yaml"), "--kubeconfig", join(dir, "kubeconfig"), "--health-port", "0"], cli);
  try {
    const started = await waitFor("the started line", () => cli.err().split("\n").map((l) => (l.startsWith("{") ? JSON.parse(l) : {})).find((l) => l.msg === "started"));
    const base = supertest(`http://127.0.0.1:${started.healthPort}`);
    // Leadership flips within a retry period; poll the gauge itself.
    for (let i = 0; ; i++) {
      if (sampleValue(await scrape(base), "kubeca_kubelet_leader") === 1) break;
      assert.ok(i < 400, "never became leader");
      await new Promise((r) => setTimeout(r, 20));
    }

    const good = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.0.0.10"] });
    const bad = await h.submit("node:cp-1", { dns: ["cp-1"], ips: ["10.9.9.9"] });
    const client = await h.submit("bootstrap:abcdef", { cn: "system:node:cp-7" }, { signerName: CLIENT, usages: ["digital signature", "client auth"] });
    const api = h.server.kubeConfig("system:kube-controller-manager").makeApiClient(CertificatesV1Api);
    const csr = await api.readCertificateSigningRequest({ name: client });
    csr.status = { conditions: [{ type: "Approved", status: "True", reason: "AutoApproved", message: "kcm", lastUpdateTime: new Date() }] };
    await api.replaceCertificateSigningRequestApproval({ name: client, body: csr });
    const servingPem = await waitFor("a serving certificate", () => certificatePem(h.csr(good)), 8000);
    const clientPem = await waitFor("a client certificate", () => certificatePem(h.csr(client)), 8000);
    await waitFor("the denial", () => (h.csr(bad)?.status?.conditions ?? []).some((c: { type: string }) => c.type === "Denied"), 8000);

    // Each write comes back as a watch event that queues the CSR once more (to find it settled): wait
    // until the queue has drained rather than catch it mid-pass.
    let f = await scrape(base);
    for (let i = 0; sampleValue(f, "kubeca_kubelet_csr_queue_depth") !== 0; i++) {
      assert.ok(i < 400, "the queue never drained");
      await new Promise((r) => setTimeout(r, 20));
      f = await scrape(base);
    }
    assert.equal(decisions(f, "kubelet-serving", "approved", "NodeIdentityVerified"), 1);
    assert.equal(decisions(f, "kubelet-serving", "signed", "ServingCertificateIssued"), 1);
    assert.equal(decisions(f, "kubelet-serving", "denied", "IpAddressNotOnNode"), 1);
    assert.equal(decisions(f, "kubelet-client", "signed", "ClientCertificateIssued"), 1);
    assert.equal(sampleValue(f, "kubeca_signer_sign_duration_seconds_count", { ca: "ca" }), 2);
    assert.equal(sampleValue(f, "kubeca_signer_failures_total", { ca: "ca", code: "KUBECA_SIGNER_UNAVAILABLE" }), 0);
    // approved, signed, denied, signed: four records, each timed.
    assert.equal(sampleValue(f, "kubeca_audit_append_duration_seconds_count"), 4);
    const { X509Certificate } = await import("node:crypto");
    const notAfter = (pem: string) => Date.parse(new X509Certificate(pem).validTo) / 1000;
    assert.deepEqual(
      samplesOf(f, "kubeca_node_certificate_expiry_timestamp_seconds").map((s) => [s.labels.node, s.labels.file, s.value]).sort(),
      [
        ["cp-1", "kubelet-serving", notAfter(servingPem)],
        ["cp-7", "kubelet.conf", notAfter(clientPem)],
      ],
    );
    assert.ok(sampleValue(f, "kubeca_ca_certificate_expiry_timestamp_seconds", { ca: "ca" })! > Date.now() / 1000);

    // A dropped watch stream is resumed: one restart counted.
    const restarts = (fam: Map<string, Family>) => samplesOf(fam, "kubeca_kubelet_watch_restarts_total").reduce((n, s) => n + s.value, 0);
    const before = restarts(f);
    h.server.dropWatches();
    for (let i = 0; restarts(f) === before; i++) {
      assert.ok(i < 400, "the dropped watch was never counted");
      await new Promise((r) => setTimeout(r, 20));
      f = await scrape(base);
    }
    assert.equal(restarts(f), before + 1);
  } finally {
    process.emit("SIGTERM");
    assert.equal(await running, 0);
  }
});
