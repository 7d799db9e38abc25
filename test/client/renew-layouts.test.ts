// The layouts kubeca renew reads besides generate-csr in place: the legacy --csr-only folder and the
// staged generate-csr folder, plus the odd files a real node has.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { parseDocument } from "yaml";
import { renewCommand } from "../../src/cli/commands/renew.js";
import { SPEC_FILES, writeGenerateCsrLayout, writeLegacyCsrLayout } from "../support/kubeadm-layout.js";
import { checkInstalled, exists } from "./installed-node-checks.js";
import { recordingIo, snapshot, tempNode, type TempNode } from "./node-fixture.js";
import { startSigningService, type RunningService } from "./signing-service.js";

let node: TempNode;
let service: RunningService;

function args(...extra: string[]): string[] {
  return ["--server", service.url, "--token-file", service.tokenFile, "--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir, ...extra];
}

beforeEach(async () => {
  node = await tempNode();
  service = await startSigningService(node.root);
});
afterEach(async () => {
  await service.close();
  await node.remove();
});

async function firstSetup(): Promise<void> {
  await writeGenerateCsrLayout({ certDir: node.certDir, kubeconfigDir: node.kubeconfigDir, keyAlgorithm: "ECDSA-P256" });
  const out = recordingIo();
  assert.equal(await renewCommand.run(args(), out.io), 0, out.stderr());
}

describe("kubeca renew layouts", () => {
  it("the legacy --csr-only folder: keys from <name>.key are installed with their certificates", async () => {
    await firstSetup();
    const legacy = await writeLegacyCsrLayout({ csrDir: node.legacyDir, keyAlgorithm: "ECDSA-P256" });
    const untouched = await snapshot(node.kubeconfigDir, ["tmp", "pki"]);
    const out = recordingIo();
    assert.equal(await renewCommand.run(args("--csr-dir", node.legacyDir), out.io), 0, out.stderr());
    assert.match(out.stderr(), /etcd\/server \(legacy\)/);

    for (const w of legacy) {
      const installed = await checkInstalled(node, w.spec.name, service.caPem);
      assert.equal(installed.keyPem, w.keyPem, `${w.spec.name}: the legacy key is the one installed`);
      assert.equal(await exists(w.csrPath), false, `${w.csrPath} removed`);
      assert.equal(await exists(w.keyPath!), false, `${w.keyPath} removed`);
    }
    const after = await snapshot(node.kubeconfigDir, ["tmp", "pki"]);
    for (const name of ["super-admin.conf", "kubelet.conf"]) assert.deepEqual(after.get(name), untouched.get(name), `${name} not in the legacy set`);
  });

  it("a staged generate-csr folder renews a running node: new keys, certificates and kubeconfig credentials", async () => {
    await firstSetup();
    const admin = await readFile(join(node.kubeconfigDir, "admin.conf"), "utf8");
    // The operator's own edit in a live kubeconfig must survive renewal.
    await writeFile(join(node.kubeconfigDir, "admin.conf"), "# managed by kubeca; renewed by the timer\n" + admin.replace("preferences: {}", "preferences: {}\nextensions: []"));
    const staged = await writeGenerateCsrLayout({ certDir: join(node.stageDir, "pki"), kubeconfigDir: node.stageDir, keyAlgorithm: "ECDSA-P256" });
    const out = recordingIo();
    assert.equal(await renewCommand.run(args("--csr-dir", node.stageDir), out.io), 0, out.stderr());
    for (const w of staged) {
      const installed = await checkInstalled(node, w.spec.name, service.caPem);
      assert.equal(installed.keyPem, w.keyPem, `${w.spec.name}: the staged key is installed`);
    }
    const renewedAdmin = await readFile(join(node.kubeconfigDir, "admin.conf"), "utf8");
    assert.ok(renewedAdmin.startsWith("# managed by kubeca; renewed by the timer\n"), "comment kept");
    assert.deepEqual(parseDocument(renewedAdmin).toJS().extensions, [], "unknown fields kept");
    assert.deepEqual((await snapshot(node.stageDir)).size, 0, "the staging folder is empty again");
  });

  it("partial kubeconfigs without the empty fields (omitempty) work the same", async () => {
    await writeGenerateCsrLayout({ certDir: node.certDir, kubeconfigDir: node.kubeconfigDir, keyAlgorithm: "ECDSA-P256", emptyFields: "absent" });
    const out = recordingIo();
    assert.equal(await renewCommand.run(args(), out.io), 0, out.stderr());
    for (const spec of SPEC_FILES.filter((s) => s.kind === "kubeconfig")) await checkInstalled(node, spec.name, service.caPem);
  });

  it("a kubelet.conf that reads the kubelet's rotated certificate file is skipped, not overwritten", async () => {
    await firstSetup();
    const kubelet = join(node.kubeconfigDir, "kubelet.conf");
    const rotated = (await readFile(kubelet, "utf8"))
      .replace(/client-certificate-data: \S+/, "client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem")
      .replace(/client-key-data: \S+/, "client-key: /var/lib/kubelet/pki/kubelet-client-current.pem");
    await writeFile(kubelet, rotated);
    await writeGenerateCsrLayout({ certDir: join(node.stageDir, "pki"), kubeconfigDir: node.stageDir, keyAlgorithm: "ECDSA-P256", names: ["kubelet.conf", "scheduler.conf"] });
    const out = recordingIo();
    assert.equal(await renewCommand.run(args("--csr-dir", node.stageDir), out.io), 0, out.stderr());
    assert.equal(await readFile(kubelet, "utf8"), rotated);
    assert.match(out.stdout(), /- kubelet\.conf\s+kubelet\.conf: skipped, its user reads client-certificate from \/var\/lib\/kubelet\/pki\/kubelet-client-current\.pem/);
    assert.match(out.stdout(), /✓ scheduler\.conf/);
  });

  it("the same file in place and staged is refused as ambiguous; unknown .csr files are ignored out loud", async () => {
    await writeGenerateCsrLayout({ certDir: node.certDir, kubeconfigDir: node.kubeconfigDir, keyAlgorithm: "ECDSA-P256", names: ["front-proxy-client"] });
    await writeGenerateCsrLayout({ certDir: join(node.stageDir, "pki"), kubeconfigDir: node.stageDir, keyAlgorithm: "ECDSA-P256", names: ["front-proxy-client"] });
    await writeFile(join(node.certDir, "my-own.csr"), "not kubeadm's");
    const out = recordingIo();
    assert.equal(await renewCommand.run(args("--csr-dir", node.stageDir), out.io), 1);
    assert.match(out.stderr(), /ignoring .*pki\/my-own\.csr: not a file kubeadm asks an external CA to sign/);
    assert.match(out.stdout(), /✗ front-proxy-client\s+DuplicateCsr: two CSRs for front-proxy-client: .*pki\/front-proxy-client\.csr and .*csr\/pki\/front-proxy-client\.csr/);
    assert.equal(service.batches(), 0);
  });

  it("--only renews just the named files (generate-csr or legacy names)", async () => {
    await firstSetup();
    const before = await snapshot(node.kubeconfigDir, ["tmp"]);
    await writeGenerateCsrLayout({ certDir: join(node.stageDir, "pki"), kubeconfigDir: node.stageDir, keyAlgorithm: "ECDSA-P256" });
    const out = recordingIo();
    assert.equal(await renewCommand.run(args("--csr-dir", node.stageDir, "--only", "etcd-server,admin.conf"), out.io), 0, out.stderr());
    const after = await snapshot(node.kubeconfigDir, ["tmp"]);
    const changed = [...after.keys()].filter((k) => after.get(k)?.sha256 !== before.get(k)?.sha256).sort();
    assert.deepEqual(changed, ["admin.conf", "pki/etcd/server.crt", "pki/etcd/server.key"]);
    assert.ok(await exists(join(node.stageDir, "pki", "apiserver.csr")), "the others' CSRs stay");
    assert.equal(new X509Certificate(await readFile(join(node.certDir, "etcd", "server.crt"))).checkIssued(new X509Certificate(service.caPem["etcd-ca"])), true);
  });

  it("a staged renewal renews only what the node has: no super-admin.conf on a secondary control plane", async () => {
    await firstSetup();
    await rm(join(node.kubeconfigDir, "super-admin.conf"));
    await writeGenerateCsrLayout({ certDir: join(node.stageDir, "pki"), kubeconfigDir: node.stageDir, keyAlgorithm: "ECDSA-P256" });
    const out = recordingIo();
    assert.equal(await renewCommand.run(args("--csr-dir", node.stageDir), out.io), 0, out.stderr());
    assert.equal(await exists(join(node.kubeconfigDir, "super-admin.conf")), false, "no new break-glass credential");
    assert.match(out.stdout(), /- super-admin\.conf\s+super-admin\.conf: skipped, .*super-admin\.conf does not exist and a staged renewal renews only what the node has/);
    for (const spec of SPEC_FILES.filter((s) => s.name !== "super-admin.conf")) await checkInstalled(node, spec.name, service.caPem);
  });
});

describe("kubeca renew with external etcd", () => {
  it("skips the etcd leaves generate-csr writes anyway, and installs the rest", async () => {
    const external = await startSigningService(join(node.root, "external"), { externalEtcd: true });
    try {
      await writeGenerateCsrLayout({ certDir: node.certDir, kubeconfigDir: node.kubeconfigDir, keyAlgorithm: "ECDSA-P256" });
      const out = recordingIo();
      const code = await renewCommand.run(["--server", external.url, "--token-file", external.tokenFile, "--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir], out.io);
      assert.equal(code, 0, out.stdout() + out.stderr());
      for (const name of ["etcd/server", "etcd/peer", "etcd/healthcheck-client", "apiserver-etcd-client"]) {
        assert.match(out.stdout(), new RegExp(`- ${name}\\s+${name}: skipped, neither the service nor this node has etcd-ca \\(external etcd\\?\\)`));
        assert.equal(await exists(join(node.certDir, `${name}.crt`)), false);
      }
      assert.equal(await exists(join(node.certDir, "etcd", "ca.crt")), false, "no etcd CA file invented");
      for (const spec of SPEC_FILES.filter((s) => s.issuer !== "etcd-ca")) await checkInstalled(node, spec.name, external.caPem);
      assert.doesNotMatch(out.stdout(), /^etcd-server\s/m, "status lists no etcd rows");
    } finally {
      await external.close();
    }
  });
});
