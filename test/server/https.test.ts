// buildServer({ https }) serves the same routes over TLS, and so does the built kubeca serve --tls-cert/--tls-key.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { createTokenAuthenticator } from "../../src/auth/bearer-token.js";
import { buildServer } from "../../src/server/index.js";
import { built, BUILT } from "../support/built.js";
import { NODES, recordingService, TOKENS } from "./server-fixtures.js";

it("serves /healthz over HTTPS with the given certificate", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "kubeca-https-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", join(dir, "tls.key"), "-out", join(dir, "tls.crt"),
  ], { stdio: "ignore" });
  const cert = readFileSync(join(dir, "tls.crt"));
  const app = buildServer({
    service: recordingService(),
    authenticator: createTokenAuthenticator(TOKENS, NODES),
    https: { cert, key: readFileSync(join(dir, "tls.key")) },
  });
  t.after(() => app.close());
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  assert.match(address, /^https:\/\//);
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(`${address}/healthz`, { ca: cert }, (res) => {
      let text = "";
      res.on("data", (c) => (text += String(c)));
      res.on("end", () => resolve(`${res.statusCode} ${text}`));
    });
    req.on("error", reject);
    req.end();
  });
  assert.equal(body, '200 {"status":"ok"}');
});

it("the built kubeca serve --tls-cert/--tls-key serves /healthz over HTTPS", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "kubeca-https-cli-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", join(dir, "tls.key"), "-out", join(dir, "tls.crt"),
  ], { stdio: "ignore" });
  const child = spawn(process.execPath, [built(BUILT.bin), "serve", "--dev", "--dev-dir", join(dir, "dev"), "--port", "0", "--tls-cert", join(dir, "tls.crt"), "--tls-key", join(dir, "tls.key"), "--log-level", "warn"], { stdio: ["ignore", "ignore", "pipe"] });
  // Stop the server (its last audit checkpoint goes into the dev dir) before removing the dir.
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
    rmSync(dir, { recursive: true, force: true });
  });
  let stderr = "";
  const address = await new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (d) => {
      stderr += String(d);
      const m = /serving on (\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  assert.match(address, /^https:\/\/127\.0\.0\.1:\d+$/);
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(`${address}/healthz`, { ca: readFileSync(join(dir, "tls.crt")) }, (res) => {
      let text = "";
      res.on("data", (c) => (text += String(c)));
      res.on("end", () => resolve(`${res.statusCode} ${text}`));
    });
    req.on("error", reject);
    req.end();
  });
  assert.equal(body, '200 {"status":"ok"}');
});
