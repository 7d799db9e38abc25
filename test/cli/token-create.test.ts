// `kubeca token create`: a token printed once, the config entry with its SHA-256, and the token works:
// the entry pasted into a config lets the token's holder sign as its node (and only read the audit log
// as an auditor). Bad flags and configs change nothing and print no token.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { PassThrough } from "node:stream";
import { after, describe, it } from "node:test";
import { parse } from "yaml";
import { main } from "../../src/cli/main.js";
import { loadConfigFile, TokenCaller } from "../../src/config/index.js";
import { createApp } from "../../src/server/index.js";
import { csrFor } from "../issuance/section6.js";
import { writeConfig } from "../issuance/service-fixture.js";
import { listen } from "../support/http.js";

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  const code = await main(argv, { stdout, stderr, env: {}, cwd: process.cwd() });
  return { code, out, err };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("kubeca token create", () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("prints the token alone on stdout and its config entry on stderr, never the token there", async () => {
    const r = await cli(["token", "create", "--node", "cp-1"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^[A-Za-z0-9_-]{43}\n$/);
    const token = r.out.trim();
    assert.ok(!r.err.includes(token), "the token appears once");
    const line = /^ {2}(- \{ .* \})$/m.exec(r.err)?.[1];
    assert.ok(line, r.err);
    assert.match(r.err, /Add under callers\.tokens:/);
    const [entry] = parse(line) as unknown[];
    assert.deepEqual(entry, { name: "cp-1-renewer", sha256: sha256(token), node: "cp-1" });
    assert.ok(TokenCaller.safeParse(entry).success);
    const again = await cli(["token", "create", "--node", "cp-1"]);
    assert.notEqual(again.out, r.out, "each token is new");
  });

  it("--output json gives the token, digest, section, entry and line for scripts; --role auditor goes under callers.auditors", async () => {
    const r = await cli(["token", "create", "--role", "auditor", "--name", "security-team", "--output", "json"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "");
    const body = JSON.parse(r.out);
    assert.deepEqual(Object.keys(body), ["token", "sha256", "section", "entry", "line"]);
    assert.equal(body.sha256, sha256(body.token));
    assert.equal(body.section, "callers.auditors");
    assert.deepEqual(body.entry, { name: "security-team", sha256: body.sha256 });
    assert.deepEqual(parse(body.line), [body.entry]);
  });

  it("the entry pasted into a config makes the token work: a node token signs its node's files, an auditor token reads the log and signs nothing", async (t) => {
    const node = JSON.parse((await cli(["token", "create", "--node", "cp-1", "--output", "json"])).out);
    const auditor = JSON.parse((await cli(["token", "create", "--role", "auditor", "--name", "security-team", "--output", "json"])).out);
    const { dir, configPath } = await writeConfig({ edit: (raw) => (raw.callers = { tokens: [], auditors: [] }) });
    dirs.push(dir);
    // Paste the lines where they go, as the stderr hint says.
    const text = (await readFile(configPath, "utf8")).replace(/^callers:.*\n(?:[ \t].*\n)*/m, "");
    await writeFile(configPath, `${text}\ncallers:\n  tokens:\n    ${node.line}\n  auditors:\n    ${auditor.line}\n`);
    const app = await createApp(await loadConfigFile(configPath), { dev: true, logger: false });
    const http = await listen(app, (fn) => t.after(fn));
    const signed = await http.post("/v1/sign").set({ authorization: `Bearer ${node.token}` }).send({ name: "admin.conf", csr: csrFor("admin.conf") });
    assert.equal(signed.status, 200, signed.text);
    const audit = await http.get("/v1/audit").set({ authorization: `Bearer ${auditor.token}` });
    assert.equal(audit.status, 200, audit.text);
    const refused = await http.post("/v1/sign").set({ authorization: `Bearer ${auditor.token}` }).send({ name: "admin.conf", csr: csrFor("admin.conf") });
    assert.equal(refused.status, 403, refused.text);
    assert.doesNotMatch(await readFile(`${dir}/audit.jsonl`, "utf8"), new RegExp(`${node.token}|${auditor.token}`));
  });

  it("with --config, a node not under nodes or a label already used is refused (exit 2) and no token is printed", async () => {
    const { dir, configPath } = await writeConfig({ edit: (raw) => (raw.callers = { tokens: [{ name: "cp-1-renewer", sha256: "0".repeat(64), node: "cp-1" }] }) });
    dirs.push(dir);
    const unknown = await cli(["token", "create", "--node", "cp-9", "--config", configPath]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.out, "");
    assert.match(unknown.err, /lists no node named cp-9 under nodes/);
    const existing = (await loadConfigFile(configPath)).config.callers.tokens[0]!;
    const taken = await cli(["token", "create", "--node", existing.node, "--name", existing.name, "--config", configPath]);
    assert.equal(taken.code, 2);
    assert.equal(taken.out, "");
    assert.match(taken.err, new RegExp(`already has a token named ${existing.name}`));
    const ok = await cli(["token", "create", "--node", existing.node, "--name", "cp-spare", "--config", configPath]);
    assert.equal(ok.code, 0, ok.err);
  });

  for (const [argv, message] of [
    [[], /--node NAME is required/],
    [["--node", "cp-1", "--role", "auditor"], /exclude each other/],
    [["--role", "auditor"], /needs --name LABEL/],
    [["--role", "admin", "--node", "cp-1"], /--role must be node, auditor or operator, not admin/],
    [["--node", "cp-1", "--name", "a b: c"], /use letters, digits/],
    [["--node", "cp-1", "--output", "yaml"], /--output must be text or json/],
    [["--node", "cp-1", "--token", "chosen"], /Unknown option '--token'/],
  ] as const) {
    it(`refuses ${JSON.stringify(argv)} with exit 2 and prints no token`, async () => {
      const r = await cli(["token", "create", ...argv]);
      assert.equal(r.code, 2);
      assert.equal(r.out, "");
      assert.match(r.err, message);
    });
  }
});
