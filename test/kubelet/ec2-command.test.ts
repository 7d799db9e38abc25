// `kubeletSigner.addressSource: ec2` from the config file to the decision: `kubeca kubelet-signer --once`
// with an aws-kms CA (local KMS server), the local EC2 server and the fake apiserver, all through
// the real clients, credentials from the standard AWS environment variables.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { CliIo } from "../../src/cli/command.js";
import { kubeletSignerCommand } from "../../src/cli/commands/kubelet-signer.js";
import { KubeletSignerConfig } from "../../src/config/index.js";
import { productionSetup } from "../../src/lambda/kubelet-sweep.js";
import { silentLog } from "../../src/kubelet/kubelet-log.js";
import { startEc2Server, type Ec2Server } from "../support/ec2-server.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { writeKubeletSignerFiles } from "./command-fixture.js";
import { certificatePem, condition, opensslVerify, startHarness, type Harness } from "./harness.js";

const NODE = { name: "ip-10-0-2-10.eu-west-1.compute.internal", id: "i-0d00000000000000d", ip: "10.0.2.10" };

let kms: KmsServer;
let ec2: Ec2Server;
let h: Harness;
let dir: string;

before(async () => {
  process.env.AWS_ACCESS_KEY_ID = "AKIDKUBECATEST";
  process.env.AWS_SECRET_ACCESS_KEY = "kubeca-test-secret";
  kms = await startKmsServer();
  ec2 = await startEc2Server();
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), "kubeca-kubelet-ec2-"));
  ec2.setInstance({ instanceId: NODE.id, availabilityZone: "eu-west-1c", privateIpAddress: NODE.ip, privateDnsName: NODE.name });
  h.server.addNode(
    NODE.name,
    [
      { type: "InternalIP", address: NODE.ip },
      // Self-reported and not the instance's: the EC2 cross-check must refuse it.
      { type: "ExternalIP", address: "203.0.113.7" },
      { type: "Hostname", address: NODE.name },
    ],
    `aws:///eu-west-1c/${NODE.id}`,
  );
  await writeKubeletSignerFiles(
    dir,
    kms,
    h.server.url,
    `nodeWaitSeconds: 0\naddressSource: { type: ec2, region: eu-west-1, endpoint: "${ec2.url}", cacheSeconds: 30 }`,
  );
});
after(async () => {
  await h.close();
  await ec2.close();
  await kms.close();
});

function io(): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  return { stdout, stderr, env: {}, cwd: dir, out: () => out, err: () => err };
}

test("kubeletSigner.addressSource defaults to the Node's status; an unknown type or a stray field is refused", () => {
  assert.deepEqual(KubeletSignerConfig.parse({}).addressSource, { type: "node-status" });
  assert.deepEqual(KubeletSignerConfig.parse({ addressSource: { type: "ec2" } }).addressSource, { type: "ec2", cacheSeconds: 30 });
  assert.equal(KubeletSignerConfig.safeParse({ addressSource: { type: "gce" } }).success, false);
  assert.equal(KubeletSignerConfig.safeParse({ addressSource: { type: "node-status", region: "eu-west-1" } }).success, false);
  assert.equal(KubeletSignerConfig.safeParse({ addressSource: { type: "ec2", cacheSeconds: 3600 } }).success, false);
});

test("with addressSource ec2 in the config, kubelet-signer --once signs what EC2 vouches for and denies a self-reported IP it does not", async () => {
  const honest = await h.submit(`node:${NODE.name}`, { cn: `system:node:${NODE.name}`, dns: [NODE.name], ips: [NODE.ip] });
  const liar = await h.submit(`node:${NODE.name}`, { cn: `system:node:${NODE.name}`, dns: [NODE.name], ips: [NODE.ip, "203.0.113.7"] });
  const cli = io();
  const code = await kubeletSignerCommand.run(["--config", join(dir, "kubeca.yaml"), "--kubeconfig", join(dir, "kubeconfig"), "--once"], cli);
  assert.equal(code, 0, cli.err());
  assert.deepEqual(JSON.parse(cli.out()).outcomes, { approve: 0, deny: 1, sign: 1, fail: 0, skip: 0 });
  assert.match(condition(h.csr(honest), "Approved").message, /\(node status ∩ ec2\)$/);
  assert.match(opensslVerify(join(dir, "ca.crt"), certificatePem(h.csr(honest))!, "sslserver"), /: OK/);
  const denied = condition(h.csr(liar), "Denied");
  assert.equal(denied.message, `IpAddressNotOnNode: IP SAN 203.0.113.7 is not an address of Node ${NODE.name} (node status ∩ ec2)`);
  assert.equal(ec2.callsFor(NODE.id), 1);
});

test("the Lambda sweep's setup builds the same EC2 cross-check from the same config", async () => {
  const deps = await productionSetup({ LAMBDA_TASK_ROOT: dir, KUBECA_CONFIG_FILE: "kubeca.yaml", KUBECA_KUBECONFIG_FILE: "kubeconfig" }, dir, silentLog)();
  assert.equal(deps.addressSource?.name, "node status ∩ ec2");
  const node = h.server.get("nodes", NODE.name) as never;
  const addresses = await deps.addressSource!.addressesOf(node);
  assert.deepEqual([addresses.ipAddresses, addresses.source], [[NODE.ip], "node status ∩ ec2"]);
});

test("the Lambda sweep's setup refuses a missing kubeconfig, or one that names no cluster, saying which and what to do", async () => {
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(dir, "no-cluster-kubeconfig"), "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
  const setup = (kubeconfig: string) => productionSetup({ LAMBDA_TASK_ROOT: dir, KUBECA_CONFIG_FILE: "kubeca.yaml", KUBECA_KUBECONFIG_FILE: kubeconfig }, dir, silentLog)();
  await assert.rejects(setup("no-cluster-kubeconfig"), (e: Error & { code?: string }) => {
    assert.equal(e.code, "KUBECA_CONFIG_INVALID");
    assert.equal(e.message, `the kubeconfig ${join(dir, "no-cluster-kubeconfig")} (KUBECA_KUBECONFIG_FILE) names no cluster (no current-context with a cluster); set its current-context`);
    return true;
  });
  await assert.rejects(setup("absent-kubeconfig"), (e: Error & { code?: string }) => {
    assert.equal(e.code, "KUBECA_CONFIG_INVALID");
    assert.equal(e.message, `the kubeconfig ${join(dir, "absent-kubeconfig")} (KUBECA_KUBECONFIG_FILE) does not exist`);
    return true;
  });
});
