// kubeca renew's flags and whole-request failures, against the real service.
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createRenewCommand, renewCommand } from "../../src/cli/commands/renew.js";
import { UsageError } from "../../src/cli/flags.js";
import { renewHelp } from "../../src/cli/help/renew.js";
import { openssl, withTempFiles } from "../support/openssl.js";
import { SPEC_FILES, writeGenerateCsrLayout } from "../support/kubeadm-layout.js";
import { checkInstalled } from "./installed-node-checks.js";
import { recordingIo, snapshot, tempNode, type TempNode } from "./node-fixture.js";
import { startSigningService, type RunningService } from "./signing-service.js";

let node: TempNode;
let service: RunningService;

function args(s: { url: string; tokenFile: string }, ...extra: string[]): string[] {
  return ["--server", s.url, "--token-file", s.tokenFile, "--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir, ...extra];
}

beforeEach(async () => {
  node = await tempNode();
  service = await startSigningService(node.root);
  await writeGenerateCsrLayout({ certDir: node.certDir, kubeconfigDir: node.kubeconfigDir, keyAlgorithm: "ECDSA-P256" });
});
afterEach(async () => {
  await service.close();
  await node.remove();
});

describe("kubeca renew flags", () => {
  it("--dry-run checks everything, signs nothing and writes nothing", async () => {
    const before = await snapshot(node.root);
    const out = recordingIo();
    assert.equal(await renewCommand.run(args(service, "--dry-run"), out.io), 0, out.stderr());
    assert.equal(service.batches(), 0);
    assert.deepEqual(await snapshot(node.root), before);
    assert.match(out.stdout(), /· apiserver\s+would write .*pki\/apiserver\.crt/);
    assert.match(out.stderr(), /dry run: would write .*pki\/ca\.crt/);
    assert.match(out.stderr(), /dry run: 12 CSR\(s\) ready; nothing was sent for signing and nothing was written/);
  });

  it("--output json reports every item, the CA files written, the backup and kubeadm's expiration info", async () => {
    const out = recordingIo();
    assert.equal(await renewCommand.run(args(service, "--output", "json"), out.io), 0, out.stderr());
    const report = JSON.parse(out.stdout());
    assert.equal(report.outcome, "installed");
    assert.deepEqual(report.items.map((i: { name: string }) => i.name).sort(), SPEC_FILES.map((s) => s.name).sort());
    for (const item of report.items) {
      assert.equal(item.status, "installed");
      assert.match(item.serial, /^[0-9a-f]+$/);
    }
    assert.equal(report.caFilesWritten.length, 3);
    assert.match(report.backupDir, /kubeca-backup-/);
    assert.deepEqual(report.restart, { staticPods: ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"], kubelet: true });
    assert.equal(report.status.kind, "CertificateExpirationInfo");
    assert.equal(report.status.certificates.length, 11);
  });

  it("--restart-static-pods restarts what changed, one at a time, and says so", async () => {
    const manifests = join(node.kubeconfigDir, "manifests");
    await mkdir(manifests, { recursive: true });
    for (const pod of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]) await writeFile(join(manifests, `${pod}.yaml`), pod);
    const waits: string[][] = [];
    const command = createRenewCommand({ sleep: async () => void waits.push((await readdir(manifests)).sort()) });
    const out = recordingIo();
    assert.equal(await command.run(args(service, "--restart-static-pods", "--manifest-dir", manifests, "--file-check-period", "5s"), out.io), 0, out.stderr());
    assert.equal(waits.length, 8, "out and back for each of four pods");
    assert.ok(waits.every((w) => w.length >= 3), "never more than one pod down");
    assert.deepEqual((await readdir(manifests)).sort(), ["etcd.yaml", "kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"]);
    assert.match(out.stdout(), /restarted: etcd, kube-apiserver, kube-controller-manager, kube-scheduler/);
  });

  it("--ca-file trusts the service's TLS certificate", async () => {
    const tls = await withTempFiles({}, async (_, dir) => {
      const r = await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=kubeca-test", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem")]);
      assert.equal(r.code, 0, r.stderr);
      return { cert: await readFile(join(dir, "c.pem"), "utf8"), key: await readFile(join(dir, "k.pem"), "utf8") };
    });
    const secure = await startSigningService(join(node.root, "tls"), { tls });
    try {
      const caFile = join(node.root, "service-ca.pem");
      await writeFile(caFile, tls.cert);
      const untrusted = recordingIo();
      assert.equal(await renewCommand.run(args(secure, "--dry-run"), untrusted.io), 3);
      assert.match(untrusted.stderr(), /cannot reach https:\/\/127\.0\.0\.1:\d+: self.signed certificate; nothing was installed/);
      const out = recordingIo();
      assert.equal(await renewCommand.run(args(secure, "--ca-file", caFile), out.io), 0, out.stderr());
      await checkInstalled(node, "apiserver", secure.caPem);
    } finally {
      await secure.close();
    }
  });

  it("a wrong token is refused by the service: exit 1, the service's words, nothing installed", async () => {
    const tokenFile = join(node.root, "wrong-token");
    await writeFile(tokenFile, "not-the-token\n");
    // tmp/ holds the node lock's file (empty once released), not part of what the node runs with.
    const before = await snapshot(node.kubeconfigDir, ["tmp"]);
    const out = recordingIo();
    assert.equal(await renewCommand.run(args({ url: service.url, tokenFile }), out.io), 1);
    assert.match(out.stderr(), /kubeca renew: No valid credentials: POST \/v1\/sign\/batch: .*; nothing was installed\nhint: Send Authorization: Bearer/);
    assert.deepEqual(await snapshot(node.kubeconfigDir, ["tmp"]), before);
  });

  it("an unreachable service exits 3 (retry later)", async () => {
    const out = recordingIo();
    assert.equal(await renewCommand.run(args({ url: "http://127.0.0.1:1", tokenFile: service.tokenFile }), out.io), 3);
    assert.match(out.stderr(), /cannot reach http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
  });

  it("refuses to send the token over plain http off loopback, and other bad flags, as usage errors", async () => {
    const io = recordingIo().io;
    await assert.rejects(renewCommand.run(args({ url: "http://kubeca.example.internal", tokenFile: service.tokenFile }), io), /refusing to send the token over plain http/);
    await assert.rejects(renewCommand.run(["--token-file", service.tokenFile], io), (e) => e instanceof UsageError && /--server is required/.test(e.message));
    await assert.rejects(renewCommand.run(["--server", service.url], io), /--token-file is required/);
    await assert.rejects(renewCommand.run(args(service, "--only", "apiserver,ca"), io), /--only: unknown ca; known names: /);
    await assert.rejects(renewCommand.run(args(service, "--frobnicate"), io), UsageError);
    assert.match(renewHelp, /--allow-partial/);
  });
});
