// `kubeca policy check FILE`: for the spec §6 cluster, the printed report is exactly the fixture (text
// and JSON), and node cp-1's entries agree with the §6 table written out from the spec; a bad config is
// exit 2 with every bad field by its path.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.js";
import { SECTION_6 } from "../issuance/section6.js";

const fixtures = fileURLToPath(new URL("./policy-check/", import.meta.url));
const fixture = (name: string) => readFileSync(join(fixtures, name), "utf8");

async function check(args: string[], cwd = fixtures): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(["policy", "check", ...args], {
    stdout: new Writable({ write: (c, _e, cb) => ((stdout += String(c)), cb()) }),
    stderr: new Writable({ write: (c, _e, cb) => ((stderr += String(c)), cb()) }),
    env: {},
    cwd,
  });
  return { code, stdout, stderr };
}

const EKU = { serverAuth: "TLS Web Server Authentication", clientAuth: "TLS Web Client Authentication" } as const;

describe("kubeca policy check on the spec §6 cluster", () => {
  it("prints exactly the text fixture and exits 0", async () => {
    const r = await check(["section6.yaml"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, fixture("section6.txt"));
  });

  it("--output json prints exactly the JSON fixture", async () => {
    const r = await check(["section6.yaml", "--output", "json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(fixture("section6.json")));
  });

  it("cp-1 may receive every §6 file, each with the spec's issuer, subject, EKU and exact SANs", async () => {
    const report = JSON.parse((await check(["section6.yaml", "--output", "json"])).stdout);
    const cp1 = report.nodes.find((n: { name: string }) => n.name === "cp-1");
    assert.deepEqual(cp1.files.map((f: { name: string }) => f.name), Object.keys(SECTION_6));
    for (const f of cp1.files) {
      const row = SECTION_6[f.name]!;
      assert.equal(f.issuer, row.issuer, f.name);
      assert.equal(f.commonName, row.cn, f.name);
      assert.deepEqual(f.organizations, row.o, f.name);
      assert.deepEqual(f.extKeyUsage.map((e: keyof typeof EKU) => EKU[e]), row.eku, f.name);
      if (row.dns.length + row.ip.length > 0) {
        assert.deepEqual(f.sans.required, { dns: row.dns, ip: row.ip }, f.name);
        assert.deepEqual(f.sans.allowed, { dns: row.dns, ip: row.ip }, f.name);
      } else {
        assert.equal(f.sans, undefined, f.name);
      }
    }
  });

  it("only cp-1 may receive super-admin.conf; the worker and the worker group only kubelet.conf", async () => {
    const report = JSON.parse((await check(["section6.yaml", "--output", "json"])).stdout);
    const files = (list: { name: string; files: { name: string }[] }[], name: string) => list.find((n) => n.name === name)!.files.map((f) => f.name);
    assert.ok(files(report.nodes, "cp-1").includes("super-admin.conf"));
    assert.ok(!files(report.nodes, "cp-2").includes("super-admin.conf"));
    assert.deepEqual(files(report.nodes, "worker-1"), ["kubelet.conf"]);
    assert.deepEqual(files(report.nodeGroups, "workers"), ["kubelet.conf"]);
  });
});

describe("kubeca policy check on a bad config", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "kubeca-policy-check-"))));
  after(() => rm(dir, { recursive: true, force: true }));

  const bad = fixture("section6.yaml")
    .replace("advertiseAddress: 10.0.0.11", "advertiseAddress: 10.0.0.300")
    .replace("role: worker }", "role: worker, superAdmin: true }")
    .replace("allowedCidrs: [10.1.0.0/24]", "allowedCidrs: []")
    .replace("kind: Config", "kind: Config\nunknownField: 1");

  it("names every bad field by its path and exits 2", async () => {
    await writeFile(join(dir, "bad.yaml"), bad);
    const r = await check(["bad.yaml"], dir);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    for (const path of ["nodes.1.advertiseAddress", "(top level)", "nodes.2.superAdmin", "nodeGroups.1.allowedCidrs"]) {
      assert.match(r.stderr, new RegExp(`^  ${path.replace(/[.()]/g, "\\$&")}: `, "m"), path);
    }
  });

  it("--output json lists the errors as data", async () => {
    await writeFile(join(dir, "bad.yaml"), bad);
    const r = await check(["bad.yaml", "--output", "json"], dir);
    assert.equal(r.code, 2);
    const out = JSON.parse(r.stdout);
    assert.equal(out.valid, false);
    assert.deepEqual(out.errors.map((e: { path: string }) => e.path).sort(), ["", "nodeGroups.1.allowedCidrs", "nodes.1.advertiseAddress", "nodes.2.superAdmin"]);
  });

  it("cluster facts kubeadm could not use either are found too", async () => {
    await writeFile(join(dir, "subnet.yaml"), fixture("section6.yaml").replace("serviceSubnet: 10.96.0.0/12", "serviceSubnet: 10.96.0.1/32"));
    const r = await check(["subnet.yaml", "--output", "json"], dir);
    assert.equal(r.code, 2);
    assert.deepEqual(JSON.parse(r.stdout).errors, [{ path: "cluster.serviceSubnet", message: '"10.96.0.1/32" has no address at index 1 (the kubernetes Service IP)' }]);
  });

  it("a missing file and a missing argument are exit 2", async () => {
    assert.equal((await check(["nope.yaml"], dir)).code, 2);
    assert.equal((await check([], dir)).code, 2);
  });
});
