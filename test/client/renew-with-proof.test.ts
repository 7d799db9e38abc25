// kubeca renew --proof-cert/--proof-key: a node renews with the certificate it already has instead of a
// token, against the real service (createAuthenticator). The kubelet keeps certificate and key in one
// PEM (kubelet-client-current.pem); the node's first renewal used its bootstrap token.
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { parse } from "yaml";
import { renewCommand } from "../../src/cli/commands/renew.js";
import { UsageError } from "../../src/cli/flags.js";
import { writeGenerateCsrLayout } from "../support/kubeadm-layout.js";
import { createTestCa, issueLeaf, kubeletClientOf } from "../auth/proof-fixtures.js";
import { checkInstalled } from "./installed-node-checks.js";
import { recordingIo, tempNode, type TempNode } from "./node-fixture.js";
import { startSigningService, type RunningService } from "./signing-service.js";

let node: TempNode;
let service: RunningService;
/** Where the kubelet keeps its client certificate and key, under the temp node. */
let kubeletPem: string;

const dirs = () => ["--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir];

/** kubelet.conf's embedded client certificate and key, written as the kubelet's one-file PEM. */
async function writeKubeletClientPem(): Promise<string> {
  const kubeconfig = parse(await readFile(join(node.kubeconfigDir, "kubelet.conf"), "utf8")) as { users: { user: Record<string, string> }[] };
  const user = kubeconfig.users[0]!.user;
  const pem = Buffer.from(user["client-certificate-data"]!, "base64").toString() + Buffer.from(user["client-key-data"]!, "base64").toString();
  const dir = join(node.root, "var", "lib", "kubelet", "pki");
  await mkdir(dir, { recursive: true });
  const path = join(dir, "kubelet-client-current.pem");
  await writeFile(path, pem, { mode: 0o600 });
  return path;
}

beforeEach(async () => {
  node = await tempNode();
  service = await startSigningService(node.root);
  // First setup, with the bootstrap token.
  await writeGenerateCsrLayout({ certDir: node.certDir, kubeconfigDir: node.kubeconfigDir, keyAlgorithm: "ECDSA-P256" });
  const first = recordingIo();
  assert.equal(await renewCommand.run(["--server", service.url, "--token-file", service.tokenFile, ...dirs()], first.io), 0, first.stderr());
  kubeletPem = await writeKubeletClientPem();
});
afterEach(async () => {
  await service.close();
  await node.remove();
});

describe("kubeca renew with a proof certificate", () => {
  it("renews every staged file with kubelet-client-current.pem alone (key in the same PEM), no token", async () => {
    await writeGenerateCsrLayout({ certDir: join(node.stageDir, "pki"), kubeconfigDir: node.stageDir, keyAlgorithm: "ECDSA-P256" });
    const out = recordingIo();
    const code = await renewCommand.run(["--server", service.url, "--proof-cert", kubeletPem, "--csr-dir", node.stageDir, ...dirs()], out.io);
    assert.equal(code, 0, out.stderr());
    assert.match(out.stdout(), /✓ apiserver\s/);
    await checkInstalled(node, "apiserver", service.caPem);
    assert.equal(service.batches(), 2, "the first setup's batch (token) and this one (proof)");
  });

  it("takes the key from --proof-key when it is a separate file", async () => {
    const [certPem, keyPem] = (await readFile(kubeletPem, "utf8")).split(/(?=-----BEGIN [A-Z ]*PRIVATE KEY-----)/);
    const certFile = join(node.root, "cert.pem");
    const keyFile = join(node.root, "key.pem");
    await writeFile(certFile, certPem!);
    await writeFile(keyFile, keyPem!, { mode: 0o600 });
    await writeGenerateCsrLayout({ certDir: join(node.stageDir, "pki"), kubeconfigDir: node.stageDir, keyAlgorithm: "ECDSA-P256", names: ["admin.conf"] });
    const out = recordingIo();
    assert.equal(await renewCommand.run(["--server", service.url, "--proof-cert", certFile, "--proof-key", keyFile, "--csr-dir", node.stageDir, ...dirs()], out.io), 0, out.stderr());
    assert.match(out.stdout(), /✓ admin\.conf\s/);
  });

  it("a certificate from another CA is refused by the service: exit 1 with the service's reason", async () => {
    const foreign = await issueLeaf(await createTestCa("kubernetes"), kubeletClientOf("cp-1"));
    const file = join(node.root, "foreign.pem");
    await writeFile(file, foreign.combinedPem);
    await writeGenerateCsrLayout({ certDir: join(node.stageDir, "pki"), kubeconfigDir: node.stageDir, keyAlgorithm: "ECDSA-P256", names: ["admin.conf"] });
    const out = recordingIo();
    assert.equal(await renewCommand.run(["--server", service.url, "--proof-cert", file, "--csr-dir", node.stageDir, ...dirs()], out.io), 1);
    assert.match(out.stderr(), /No valid credentials: POST \/v1\/sign\/batch: the proof's certificate .* was not issued by this service's CAs/);
  });

  it("refuses, as usage errors, two credentials, a key without a certificate, a key that is not the certificate's, and no key at all", async () => {
    const io = recordingIo().io;
    const base = ["--server", service.url, ...dirs()];
    await assert.rejects(renewCommand.run([...base, "--token-file", service.tokenFile, "--proof-cert", kubeletPem], io), (e) => e instanceof UsageError && /give one credential/.test(e.message));
    await assert.rejects(renewCommand.run([...base, "--proof-key", kubeletPem], io), /--proof-key needs --proof-cert/);
    const other = await issueLeaf(await createTestCa(), kubeletClientOf("cp-1"));
    const otherKey = join(node.root, "other-key.pem");
    await writeFile(otherKey, other.keyPem);
    await assert.rejects(renewCommand.run([...base, "--proof-cert", kubeletPem, "--proof-key", otherKey], io), /the private key does not belong to the certificate .*CN=system:node:cp-1/);
    const certOnly = join(node.root, "cert-only.pem");
    await writeFile(certOnly, other.pem);
    await assert.rejects(renewCommand.run([...base, "--proof-cert", certOnly], io), /the key file holds no PRIVATE KEY block/);
    await assert.rejects(renewCommand.run(["--server", service.url], io), /--token-file is required, or --proof-cert FILE/);
  });
});
