// The production path: CA certificates made by `kubeca ca init` through KMS keys (the keys never leave
// the local KMS server), then issuance through the real @aws-sdk/client-kms, with failures mapped to
// 503 + Retry-After and a signer whose key is not its certificate's refused at start.
import { X509Certificate } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { main } from "../../src/cli/main.js";
import { loadConfigFile } from "../../src/config/index.js";
import { isKubecaError } from "../../src/errors/index.js";
import { createIssuanceService } from "../../src/issuance/create-service.js";
import { startKmsServer, type KmsServer } from "../support/kms-server.js";
import { opensslVerify } from "../support/openssl.js";
import { SECTION_6, SERVER, csrFor } from "./section6.js";
import { CP1, ORIGIN, startService, writeConfig, type ServiceFixture } from "./service-fixture.js";

// The SDK reads the standard AWS environment; the local server does not check signatures.
process.env.AWS_ACCESS_KEY_ID = "AKIDEXAMPLE";
process.env.AWS_SECRET_ACCESS_KEY = "secret";
process.env.AWS_REGION = "us-east-1";
process.env.AWS_EC2_METADATA_DISABLED = "true";

function sink(): { stream: Writable; text: () => string } {
  let out = "";
  return {
    stream: new Writable({ write: (chunk, _enc, cb) => ((out += String(chunk)), cb()) }),
    text: () => out,
  };
}

async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { stdout: stdout.stream, stderr: stderr.stream, env: process.env, cwd: process.cwd() });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe("issuance through AWS KMS", () => {
  let kms: KmsServer;
  let fx: ServiceFixture;
  const keys: Record<string, { keyId: string; arn: string }> = {};

  before(async () => {
    kms = await startKmsServer();
    keys.ca = await kms.createKey("ECC_NIST_P256");
    keys["etcd-ca"] = await kms.createKey("ECC_NIST_P384");
    keys["front-proxy-ca"] = await kms.createKey("RSA_2048");
    const signer = (name: string, extra: Record<string, unknown> = {}) => ({ type: "aws-kms", keyId: keys[name]!.arn, endpoint: kms.url, ...extra });
    const written = await writeConfig({
      signers: { ca: signer("ca"), "etcd-ca": signer("etcd-ca"), "front-proxy-ca": signer("front-proxy-ca", { rsaPadding: "pss" }) },
    });
    const init = await runCli(["ca", "init", "--config", written.configPath]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /ca: wrote .*pki\/ca\.crt/);
    fx = await startService({ dev: false }, written);
  });
  after(async () => {
    await fx?.close();
    await kms?.close();
  });

  it("ca init wrote self-signed CAs in kubeadm's layout whose keys are the KMS keys", async () => {
    for (const [name, cn] of [["ca", "kubernetes"], ["etcd-ca", "etcd-ca"], ["front-proxy-ca", "front-proxy-ca"]] as const) {
      const cert = new X509Certificate(await fx.caPem(name));
      assert.equal(cert.subject, `CN=${cn}`);
      assert.equal(cert.ca, true);
      assert.ok(cert.verify(cert.publicKey), `${name} is self-signed by its own key`);
    }
    const show = await runCli(["ca", "show", "--config", fx.configPath, "--output", "json"]);
    assert.equal(show.code, 0, show.stderr);
    const shown = JSON.parse(show.stdout).cas;
    assert.deepEqual(shown.map((c: { keyType: string }) => c.keyType), ["ECDSA P-256", "ECDSA P-384", "RSA 2048"]);
    assert.ok(shown.every((c: { sha256Fingerprint: string }) => /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(c.sha256Fingerprint)));
    // Read back with @peculiar/x509: each signature (the PSS one too) verifies with the KMS key.
    assert.deepEqual(shown.map((c: { selfSigned: boolean }) => c.selfSigned), [true, true, true]);
    const text = await runCli(["ca", "show", "--config", fx.configPath]);
    assert.equal(text.stdout.match(/self-signed: yes, the signature verifies with its own key/g)?.length, 3, text.stdout);
  });

  it("ca init refuses to replace existing CA certificates without --force", async () => {
    const again = await runCli(["ca", "init", "--config", fx.configPath]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists; every certificate it signed would stop chaining/);
  });

  it("signs every kubeadm file with one KMS Sign call each, in DIGEST mode, verifiable with openssl", async () => {
    const before = Object.fromEntries(Object.entries(keys).map(([n, k]) => [n, kms.signCount(k.arn)]));
    const perCa: Record<string, number> = { ca: 0, "etcd-ca": 0, "front-proxy-ca": 0 };
    for (const [file, row] of Object.entries(SECTION_6)) {
      const result = await fx.service.sign(CP1, ORIGIN, { name: file, csr: csrFor(file) });
      perCa[row.issuer]!++;
      const verified = await opensslVerify({
        caPem: await fx.caPem(row.issuer),
        certPem: result.certificate,
        purpose: row.eku.includes(SERVER) ? "sslserver" : "sslclient",
      });
      assert.equal(verified.code, 0, `${file}: ${verified.stderr}`);
    }
    for (const [name, k] of Object.entries(keys)) assert.equal(kms.signCount(k.arn) - before[name]!, perCa[name], name);
    const signCalls = kms.calls.filter((c) => c.operation === "Sign");
    assert.ok(signCalls.length > 0 && signCalls.every((c) => c.messageType === "DIGEST"));
  });

  it("a throttled KMS answers 503 with Retry-After, issues nothing and records the failure", async () => {
    const lines = (await fx.auditLines()).length;
    kms.fail("ThrottlingException", 10, "Sign");
    try {
      const error = await fx.service.sign(CP1, ORIGIN, { name: "admin.conf", csr: csrFor("admin.conf") }).catch((e: unknown) => e);
      assert.ok(isKubecaError(error));
      assert.equal(error.code, "KUBECA_SIGNER_UNAVAILABLE");
      assert.ok((error.retryAfter ?? 0) >= 1);
      assert.doesNotMatch(error.detail, /Rate exceeded|ThrottlingException/i, "the SDK's text stays in the log");
      const added = (await fx.auditLines()).slice(lines);
      assert.deepEqual(added.map((r) => [r.event, r.failure?.reason]), [["signing-failed", "throttled"]], "the failure is recorded, and nothing issued");
    } finally {
      kms.clearFaults();
    }
  });

  it("a signer whose KMS key is not the CA certificate's key refuses to start, naming both fingerprints", async () => {
    const raw = parse(await readFile(fx.configPath, "utf8"));
    raw.cas["front-proxy-ca"].signer.keyId = keys.ca!.arn; // the wrong key
    raw.cas["front-proxy-ca"].signer.rsaPadding = "pkcs1";
    raw.audit.path = "mismatch-audit.jsonl"; // its own log: the running service is this folder's one writer
    const path = join(fx.dir, "mismatch.yaml");
    await writeFile(path, stringify(raw));
    const error = await createIssuanceService(await loadConfigFile(path)).catch((e: unknown) => e);
    assert.ok(isKubecaError(error));
    assert.equal(error.code, "KUBECA_SIGNER_KEY_MISMATCH");
    assert.match(error.detail, /front-proxy-ca/);
    assert.equal(error.detail.match(/SHA256:[0-9a-f:]{95}/g)?.length, 2, error.detail);
    // A swapped key is a security event: the refusal is in the audit log, naming both fingerprints.
    const records = (await readFile(join(fx.dir, "mismatch-audit.jsonl"), "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => [r.event, r.actor.method, r.actor.identity]), [["signer-mismatch", "startup", "kubeca serve"]]);
    assert.equal(records[0].message, `${error.detail}; kubeca serve refused to start`);
  });

  it("the memory signer is refused outside development mode", async () => {
    const dev = await writeConfig();
    const error = await createIssuanceService(await loadConfigFile(dev.configPath), { dev: false }).catch((e: unknown) => e);
    assert.ok(isKubecaError(error));
    assert.equal(error.code, "KUBECA_CONFIG_INVALID");
    assert.match(error.detail, /memory signer is for development only/);
  });
});
