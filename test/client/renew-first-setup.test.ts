// `kubeca renew` against the real service, on a node where `kubeadm certs generate-csr` just ran.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { renewCommand } from "../../src/cli/commands/renew.js";
import { SPEC_FILES, writeGenerateCsrLayout, type WrittenFile } from "../support/kubeadm-layout.js";
import { checkInstalled, exists } from "./installed-node-checks.js";
import { recordingIo, snapshot, tempNode, type TempNode } from "./node-fixture.js";
import { startSigningService, type RunningService } from "./signing-service.js";

describe("kubeca renew on a fresh generate-csr layout (kubeadm defaults: RSA-2048)", () => {
  let node: TempNode;
  let service: RunningService;
  let written: WrittenFile[];
  let exitCode: number;
  let out: ReturnType<typeof recordingIo>;
  let keysBefore: Map<string, string>;

  before(async () => {
    node = await tempNode();
    service = await startSigningService(node.root);
    written = await writeGenerateCsrLayout({ certDir: node.certDir, kubeconfigDir: node.kubeconfigDir });
    keysBefore = new Map(await Promise.all(written.filter((w) => w.keyPath).map(async (w) => [w.keyPath!, await readFile(w.keyPath!, "utf8")] as const)));
    out = recordingIo();
    exitCode = await renewCommand.run(["--server", service.url, "--token-file", service.tokenFile, "--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir], out.io);
  });
  after(async () => {
    await service.close();
    await node.remove();
  });

  it("exits 0 after one batch request", () => {
    assert.equal(exitCode, 0, out.stderr());
    assert.equal(service.batches(), 1);
  });

  it("installs every certificate and kubeconfig so that openssl, client-node and node:crypto agree", async () => {
    for (const spec of SPEC_FILES) await checkInstalled(node, spec.name, service.caPem);
  });

  it("writes the missing CA certificates from GET /v1/ca and never a CA key", async () => {
    for (const file of ["ca.crt", "etcd/ca.crt", "front-proxy-ca.crt"]) assert.ok(await exists(join(node.certDir, file)), file);
    const files = [...(await snapshot(node.root)).keys()];
    assert.deepEqual(files.filter((f) => /(^|\/)(ca|front-proxy-ca)\.key$/.test(f)), []);
  });

  it("leaves the private keys untouched", async () => {
    for (const [path, pem] of keysBefore) assert.equal(await readFile(path, "utf8"), pem, path);
  });

  it("removes the spent CSRs, so the next generate-csr can run", async () => {
    for (const w of written) assert.equal(await exists(w.csrPath), false, w.csrPath);
  });

  it("prints the check-expiration table and what to restart", () => {
    const text = out.stdout();
    assert.match(text, /^CERTIFICATE\s+EXPIRES\s+RESIDUAL TIME\s+CERTIFICATE AUTHORITY\s+EXTERNALLY MANAGED$/m);
    assert.match(text, /^etcd-server\s+\w{3} \d\d, \d{4} \d\d:\d\d UTC\s+36[45]d\s+etcd-ca\s+yes$/m);
    assert.match(text, /^CERTIFICATE AUTHORITY\s+EXPIRES\s+RESIDUAL TIME\s+EXTERNALLY MANAGED$/m);
    assert.match(text, /restart needed: etcd, kube-apiserver, kube-controller-manager, kube-scheduler/);
    assert.match(text, /restart needed: kubelet/);
  });

  it("shows progress on stderr", () => {
    const err = out.stderr();
    assert.match(err, /found 12 CSR\(s\)/);
    assert.match(err, /sending 12 CSR\(s\) for signing/);
    assert.match(err, /verified 12\/12 certificate\(s\)/);
  });

  it("a second run finds no CSRs, signs nothing, changes no file and reports what the node trusts", async () => {
    const before = await snapshot(node.root, ["service"]);
    const again = recordingIo();
    const code = await renewCommand.run(["--server", service.url, "--token-file", service.tokenFile, "--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir], again.io);
    assert.equal(code, 0);
    assert.equal(service.batches(), 1, "no second batch");
    assert.match(again.stdout(), /nothing to renew: no CSRs in .*; run kubeadm certs generate-csr first/);
    assert.deepEqual(await snapshot(node.root, ["service"]), before, "the ca.crt bundle (one CA) is already what the service says");
    const last = (await readFile(join(node.root, "service", "audit.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l)).at(-1);
    assert.equal(last.event, "node-trust-reported");
    assert.equal(last.actor.node, "cp-1");
    const ca = last.trust.find((c: { name: string }) => c.name === "ca");
    assert.equal(ca.trusted.length, 1);
    assert.deepEqual(ca.leaves.map((l: { file: string }) => l.file).sort(), ["admin.conf", "apiserver", "apiserver-kubelet-client", "controller-manager.conf", "kubelet.conf", "scheduler.conf", "super-admin.conf"]);
    assert.ok(ca.leaves.every((l: { issuer: string }) => l.issuer === ca.trusted[0]), "every leaf names the one CA as issuer");
  });
});
