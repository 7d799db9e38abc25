// infra/node/kubeca-renew-if-due, as the systemd timer runs it: the real `kubeca` bin, a stand-in
// kubeadm, the real service. Nothing happens until status says renewal is due; then one renewal.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { renewCommand } from "../../src/cli/commands/renew.js";
import { writeGenerateCsrLayout } from "../support/kubeadm-layout.js";
import { checkInstalled } from "./installed-node-checks.js";
import { recordingIo, snapshot, tempNode, type TempNode } from "./node-fixture.js";
import { startSigningService, type RunningService } from "./signing-service.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const script = join(repo, "infra", "node", "kubeca-renew-if-due");

let node: TempNode;
let service: RunningService;
let fakeKubeadm: string;
let kubeadmLog: string;

function runScript(warnWithin: string, extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    KUBECA_SERVER: service.url,
    KUBECA_TOKEN_FILE: service.tokenFile,
    KUBECA_CERT_DIR: node.certDir,
    KUBECA_KUBECONFIG_DIR: node.kubeconfigDir,
    KUBECA_STAGE_DIR: node.stageDir,
    KUBECA_WARN_WITHIN: warnWithin,
    KUBECA_RESTART_STATIC_PODS: "no",
    KUBECA_BIN: join(repo, "bin", "kubeca.js"),
    KUBEADM_BIN: fakeKubeadm,
    FAKE_KUBEADM_LOG: kubeadmLog,
    ...extraEnv,
  };
  // Asynchronous on purpose: the service answering the script lives in this process's event loop.
  return new Promise((resolve) => {
    execFile("/bin/sh", [script], { env, cwd: repo, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  node = await tempNode();
  service = await startSigningService(node.root);
  kubeadmLog = join(node.root, "kubeadm.log");
  fakeKubeadm = join(node.root, "kubeadm");
  await writeFile(fakeKubeadm, `#!/bin/sh\nexec node --import tsx ${join(repo, "test", "client", "fake-kubeadm.ts")} "$@"\n`);
  await chmod(fakeKubeadm, 0o755);
  // First setup is by hand (docs/node-workflow.md); the timer only renews.
  await writeGenerateCsrLayout({ certDir: node.certDir, kubeconfigDir: node.kubeconfigDir, keyAlgorithm: "ECDSA-P256" });
  const out = recordingIo();
  assert.equal(await renewCommand.run(["--server", service.url, "--token-file", service.tokenFile, "--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir], out.io), 0, out.stderr());
});
after(async () => {
  await service.close();
  await node.remove();
});

describe("the timer's script", () => {
  it("does nothing while nothing expires within the window", async () => {
    const before = await snapshot(node.kubeconfigDir);
    const r = await runScript("30d");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /nothing expires within 30d; no renewal/);
    assert.deepEqual(await snapshot(node.kubeconfigDir), before);
    assert.equal(await readFile(kubeadmLog, "utf8").catch(() => ""), "", "kubeadm was not run");
  });

  it("renews through a staged generate-csr when status says it is due, and leaves the staging folder empty", async () => {
    const before = await snapshot(node.kubeconfigDir, ["tmp"]);
    const r = await runScript("400d");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /renewal due/);
    assert.equal(await readFile(kubeadmLog, "utf8"), `certs generate-csr --cert-dir ${node.stageDir}/pki --kubeconfig-dir ${node.stageDir}\n`);
    const after = await snapshot(node.kubeconfigDir, ["tmp"]);
    for (const file of ["pki/apiserver.crt", "pki/apiserver.key", "pki/etcd/peer.crt", "admin.conf", "scheduler.conf"]) {
      assert.notDeepEqual(after.get(file), before.get(file), `${file} renewed`);
    }
    for (const name of ["apiserver", "etcd/peer", "admin.conf", "super-admin.conf", "kubelet.conf"]) await checkInstalled(node, name, service.caPem);
    assert.equal((await snapshot(node.stageDir)).size, 0);
  });

  it("with KUBECA_PROOF_CERT, renews signing with the kubelet's current certificate and reads no token", async () => {
    // The kubelet's one-file PEM, from kubelet.conf's embedded certificate and key.
    const kubeconfig = parse(await readFile(join(node.kubeconfigDir, "kubelet.conf"), "utf8")) as { users: { user: Record<string, string> }[] };
    const user = kubeconfig.users[0]!.user;
    const kubeletPem = join(node.root, "kubelet-client-current.pem");
    await writeFile(kubeletPem, Buffer.from(user["client-certificate-data"]!, "base64").toString() + Buffer.from(user["client-key-data"]!, "base64").toString(), { mode: 0o600 });
    const before = await snapshot(node.kubeconfigDir, ["tmp"]);
    const r = await runScript("400d", { KUBECA_PROOF_CERT: kubeletPem, KUBECA_TOKEN_FILE: join(node.root, "no-such-token") });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const after = await snapshot(node.kubeconfigDir, ["tmp"]);
    assert.notDeepEqual(after.get("pki/apiserver.crt"), before.get("pki/apiserver.crt"), "apiserver.crt renewed");
    await checkInstalled(node, "apiserver", service.caPem);
  });
});
