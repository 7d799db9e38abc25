// `kubeca status` on nodes in known states at a known time, checked against fixtures (hand-checked:
// each residual time is the difference between the fixture's dates and 2026-03-01 12:00 UTC).
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createStatusCommand } from "../../src/cli/commands/status.js";
import { UsageError } from "../../src/cli/flags.js";
import { recordingIo, tempNode, type TempNode } from "./node-fixture.js";
import { STATUS_NOW, writeHealthyNode, writeStatusFixture } from "./status-fixture.js";

const fixture = (name: string) => readFile(fileURLToPath(new URL(`fixtures/${name}`, import.meta.url)), "utf8");
const status = createStatusCommand({ now: () => STATUS_NOW });
let node: TempNode;

async function run(...flags: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = recordingIo();
  const code = await status.run(["--cert-dir", node.certDir, "--kubeconfig-dir", node.kubeconfigDir, ...flags], out.io);
  return { code, stdout: out.stdout(), stderr: out.stderr() };
}

beforeEach(async () => {
  node = await tempNode();
});
afterEach(() => node.remove());

describe("kubeca status", () => {
  it("prints kubeadm's two tables, with !MISSING! rows and <invalid> for the expired", async () => {
    await writeStatusFixture(node);
    const { stdout } = await run();
    assert.equal(stdout, await fixture("status.txt"));
  });

  it("--output json is kubeadm's output.kubeadm.k8s.io/v1alpha3 CertificateExpirationInfo", async () => {
    await writeStatusFixture(node);
    const { stdout } = await run("--output", "json");
    assert.deepEqual(JSON.parse(stdout), JSON.parse(await fixture("status.json")));
  });

  it("--warn-within 30d exits 1 and names what renewal would fix; the CA problem is named apart", async () => {
    await writeStatusFixture(node);
    const { code, stderr } = await run("--warn-within", "30d");
    assert.equal(code, 1);
    assert.equal(
      stderr,
      "kubeca status: renewal due (missing, expired or expiring within 30d): admin.conf, apiserver, apiserver-etcd-client, apiserver-kubelet-client, controller-manager.conf, etcd-healthcheck-client, scheduler.conf\n" +
        "kubeca status: CA missing or expiring within 30d: front-proxy-ca; kubeca renew cannot fix this\n",
    );
  });

  it("without --warn-within only missing and expired files are due", async () => {
    await writeStatusFixture(node);
    const { code, stderr } = await run();
    assert.equal(code, 1);
    assert.match(stderr, /renewal due \(missing, expired or expiring within 0s\): apiserver-kubelet-client, etcd-healthcheck-client, scheduler\.conf\n/);
  });

  it("a healthy node exits 0, and 1 once the window reaches its expiry", async () => {
    await writeHealthyNode(node, new Date("2026-05-01T12:00:00Z"), new Date("2035-01-01T00:00:00Z"));
    assert.deepEqual(await run("--warn-within", "30d"), { code: 0, stdout: (await run()).stdout, stderr: "" });
    assert.equal((await run("--warn-within", "61d")).code, 1);
    assert.equal((await run("--warn-within", "1464h")).code, 1, "61 days in hours");
  });

  it("exits 4 when only a CA expires within the window: renewing leaves would not help", async () => {
    await writeHealthyNode(node, new Date("2026-05-01T12:00:00Z"), new Date("2026-04-01T12:00:00Z"));
    const { code, stderr } = await run("--warn-within", "40d");
    assert.equal(code, 4);
    assert.equal(stderr, "kubeca status: CA missing or expiring within 40d: ca, etcd-ca, front-proxy-ca; kubeca renew cannot fix this\n");
  });

  it("external etcd: no etcd-ca and no etcd leaves means no etcd rows", async () => {
    await writeHealthyNode(node, new Date("2026-05-01T12:00:00Z"), new Date("2035-01-01T00:00:00Z"));
    await rm(join(node.certDir, "etcd"), { recursive: true });
    await rm(join(node.certDir, "apiserver-etcd-client.crt"));
    const { code, stdout } = await run("--warn-within", "30d");
    assert.equal(code, 0);
    assert.doesNotMatch(stdout, /etcd/);
  });

  it("refuses a window it cannot read", async () => {
    await assert.rejects(run("--warn-within", "a month"), UsageError);
    await assert.rejects(run("--output", "yaml"), UsageError);
  });
});
