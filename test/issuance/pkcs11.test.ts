// The HSM path end to end against SoftHSM2: keys made by `kubeca ca keygen --pkcs11`, CA certificates
// by `kubeca ca init` through them, every kubeadm file issued and checked by openssl, a mismatched key
// refused at start, an allowed extractable key audited, and a token removed under the running service.
import { createHash, X509Certificate } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { createTokenAuthenticator } from "../../src/auth/bearer-token.js";
import { main } from "../../src/cli/main.js";
import { loadConfigFile } from "../../src/config/index.js";
import { isKubecaError } from "../../src/errors/index.js";
import { createIssuanceService } from "../../src/issuance/create-service.js";
import { buildServer } from "../../src/server/index.js";
import { opensslVerify } from "../support/openssl.js";
import { createTestToken, generateRawKeyPair, SOFTHSM_MODULE, type TestToken } from "../support/softhsm.js";
import { SECTION_6, SERVER, csrFor } from "./section6.js";
import { CP1, ORIGIN, startService, writeConfig, type ServiceFixture } from "./service-fixture.js";

type CaName = "ca" | "etcd-ca" | "front-proxy-ca";

function sink(): { stream: Writable; text: () => string } {
  let out = "";
  return { stream: new Writable({ write: (chunk, _enc, cb) => ((out += String(chunk)), cb()) }), text: () => out };
}

async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { stdout: stdout.stream, stderr: stderr.stream, env, cwd: process.cwd() });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** `kubeca ca keygen --pkcs11` as an operator runs it; returns the signer block it printed (JSON output). */
async function keygen(token: TestToken, label: string, algorithm: string): Promise<Record<string, unknown>> {
  const out = await runCli(
    ["ca", "keygen", "--pkcs11", "--module", SOFTHSM_MODULE, "--token-label", token.label, "--pin-env", "KUBECA_TEST_PIN", "--label", label, "--algorithm", algorithm, "--output", "json"],
  );
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout).signer;
}

/** Every kubeadm file of spec §6 through the pipeline, each certificate checked by openssl -x509_strict. */
async function issueEveryFile(fx: ServiceFixture): Promise<void> {
  for (const [file, row] of Object.entries(SECTION_6)) {
    const result = await fx.service.sign(CP1, ORIGIN, { name: file, csr: csrFor(file) });
    const verified = await opensslVerify({ caPem: await fx.caPem(row.issuer), certPem: result.certificate, purpose: row.eku.includes(SERVER) ? "sslserver" : "sslclient" });
    assert.equal(verified.code, 0, `${file}: ${verified.stderr}`);
  }
}

async function initAndStart(signers: Record<CaName, Record<string, unknown>>): Promise<ServiceFixture> {
  const written = await writeConfig({ signers });
  const init = await runCli(["ca", "init", "--config", written.configPath]);
  assert.equal(init.code, 0, init.stderr);
  return startService({ dev: false }, written);
}

describe("issuance through a PKCS#11 token (SoftHSM2)", () => {
  let token: TestToken;
  let fx: ServiceFixture;
  const signers = {} as Record<CaName, Record<string, unknown>>;

  before(async () => {
    token = await createTestToken("kubeca-cas");
    process.env.KUBECA_TEST_PIN = token.pin;
    signers.ca = await keygen(token, "kubeca-ca", "ECDSA-P256");
    signers["etcd-ca"] = await keygen(token, "kubeca-etcd-ca", "ECDSA-P384");
    signers["front-proxy-ca"] = { ...(await keygen(token, "kubeca-front-proxy-ca", "RSA-2048")), rsaPadding: "pss" };
    fx = await initAndStart(signers);
  });
  after(async () => {
    await fx?.close();
    await token?.cleanup();
  });

  it("keygen prints the signer config that names the key, with the PIN's source and never the PIN", async () => {
    const out = await runCli(["ca", "keygen", "--pkcs11", "--module", SOFTHSM_MODULE, "--token-serial", token.serial, "--pin-env", "KUBECA_TEST_PIN", "--label", "printed", "--id", "AB01"]);
    assert.equal(out.code, 0, out.stderr);
    const [first, fingerprint] = out.stdout.split("\n");
    assert.equal(first, "created ECDSA-P256 key pair label printed, id ab01 (private key sensitive, not extractable, sign only)");
    assert.match(fingerprint!, /^public key SHA256:([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    const snippet = parse(out.stdout.slice(out.stdout.indexOf("signer config (under cas.<name>):") + 34));
    assert.deepEqual(snippet, {
      signer: { type: "pkcs11", module: SOFTHSM_MODULE, token: { serial: token.serial }, key: { label: "printed", id: "ab01" }, pin: { env: "KUBECA_TEST_PIN" } },
    });
    assert.doesNotMatch(out.stdout + out.stderr, new RegExp(token.pin));
  });

  it("keygen refuses incomplete flags with a usage error and creates nothing", async () => {
    const cases: [string[], RegExp][] = [
      [["--module", SOFTHSM_MODULE, "--token-label", "t", "--pin-env", "P", "--label", "x"], /--pkcs11 is required/],
      [["--pkcs11", "--module", SOFTHSM_MODULE, "--pin-env", "P", "--label", "x"], /exactly one of --token-label and --token-serial/],
      [["--pkcs11", "--module", SOFTHSM_MODULE, "--token-label", "t", "--label", "x"], /exactly one of --pin-env and --pin-file/],
      [["--pkcs11", "--module", "libsofthsm2.so", "--token-label", "t", "--pin-env", "P", "--label", "x"], /--module: must be an absolute path/],
      [["--pkcs11", "--module", SOFTHSM_MODULE, "--token-label", "t", "--pin-env", "P", "--label", "x", "--algorithm", "RSA-1024"], /--algorithm must be one of/],
      [["--pkcs11", "--module", SOFTHSM_MODULE, "--token-label", "t", "--pin-env", "P", "--label", "x", "--id", "xyz"], /--label\/--id: must be the key's CKA_ID in hex/],
    ];
    for (const [flags, message] of cases) {
      const out = await runCli(["ca", "keygen", ...flags]);
      assert.equal(out.code, 2, flags.join(" "));
      assert.match(out.stderr, message);
    }
  });

  it("ca init wrote self-signed CA certificates whose keys are the token's keys", async () => {
    for (const [name, cn, keyType] of [["ca", "kubernetes", "ec"], ["etcd-ca", "etcd-ca", "ec"], ["front-proxy-ca", "front-proxy-ca", "rsa"]] as const) {
      const cert = new X509Certificate(await fx.caPem(name));
      assert.equal(cert.subject, `CN=${cn}`);
      assert.equal(cert.publicKey.asymmetricKeyType, keyType);
      assert.ok(cert.verify(cert.publicKey), `${name} is self-signed by its own key`);
    }
  });

  it("signs every kubeadm file with ECDSA P-256, P-384 and RSA-PSS CA keys, verifiable with openssl -x509_strict", async () => {
    await issueEveryFile(fx);
  });

  it("signs every kubeadm file with RSA 3072 (PKCS#1 v1.5), 4096 (PSS) and 2048 (PKCS#1 v1.5) CA keys", async () => {
    const rsa = await initAndStart({
      ca: await keygen(token, "rsa-3072", "RSA-3072"),
      "etcd-ca": { ...(await keygen(token, "rsa-4096", "RSA-4096")), rsaPadding: "pss" },
      "front-proxy-ca": await keygen(token, "rsa-2048", "RSA-2048"),
    });
    try {
      await issueEveryFile(rsa);
      assert.equal(new X509Certificate(await rsa.caPem("etcd-ca")).publicKey.asymmetricKeyDetails?.modulusLength, 4096);
    } finally {
      await rsa.close();
    }
  });

  it("refuses to start when a CA's key is not its certificate's key, naming both fingerprints", async () => {
    const raw = parse(await readFile(fx.configPath, "utf8"));
    raw.cas["etcd-ca"].signer = signers.ca; // the wrong key
    // A log of its own: the refused start records signer-mismatch, and fx's chain must stay fx's.
    raw.audit = { store: "file", path: "mismatch-audit.jsonl" };
    const path = join(fx.dir, "mismatch.yaml");
    await writeFile(path, stringify(raw));
    const error = await createIssuanceService(await loadConfigFile(path)).catch((e: unknown) => e);
    assert.ok(isKubecaError(error));
    assert.equal(error.code, "KUBECA_SIGNER_KEY_MISMATCH");
    assert.match(error.detail, /^CA etcd-ca: /);
    assert.equal(error.detail.match(/SHA256:[0-9a-f:]{95}/g)?.length, 2, error.detail);
    const recorded = (await readFile(join(fx.dir, "mismatch-audit.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(recorded.map((r) => r.event), ["signer-mismatch"]);
  });

  it("refuses an extractable key at ca init; allowed, it is warned about on ca init and audited at every start", async () => {
    await generateRawKeyPair(token, "loose", { extractable: true, sensitive: true });
    const loose = { ...signers.ca, key: { label: "loose" } };
    const refused = await writeConfig({ signers: { ...signers, ca: loose } });
    const init = await runCli(["ca", "init", "--config", refused.configPath, "--only", "ca"]);
    assert.equal(init.code, 2);
    assert.match(init.stderr, /the private key can leave the token .* set allowExtractable: true/);

    const allowed = await writeConfig({ signers: { ...signers, ca: { ...loose, allowExtractable: true } } });
    const initAllowed = await runCli(["ca", "init", "--config", allowed.configPath]);
    assert.equal(initAllowed.code, 0, initAllowed.stderr);
    assert.match(initAllowed.stderr, /warning: ca's private key can leave its token \(allowExtractable: true\)/);
    const started = await startService({ dev: false }, allowed);
    try {
      const warnings = (await started.auditLines()).filter((l) => l.event === "signer-warning");
      assert.deepEqual(
        warnings.map((w) => w.message),
        ["CA ca signs with a private key that can leave its token (CKA_EXTRACTABLE or not CKA_SENSITIVE), accepted by allowExtractable: true"],
      );
    } finally {
      await started.close();
    }
  });

  it("a token removed under the running service answers 503 with Retry-After, issues nothing, records signing-failed and turns /readyz not ready", async () => {
    const cpToken = "cp-1-token-for-the-hsm-test";
    const app = buildServer({
      service: fx.service,
      authenticator: createTokenAuthenticator([{ name: "cp-1", sha256: createHash("sha256").update(cpToken).digest("hex"), node: "cp-1" }], fx.service.config.nodes),
      logger: false,
    });
    await app.ready();
    try {
      const post = () =>
        app.inject({ method: "POST", url: "/v1/sign", headers: { authorization: `Bearer ${cpToken}`, "content-type": "application/json" }, payload: { name: "admin.conf", csr: csrFor("admin.conf") } });
      assert.equal((await post()).statusCode, 200);
      const issued = (await fx.auditLines()).filter((l) => l.event === "issued").length;
      await token.removeTokenFiles();
      const res = await post();
      assert.equal(res.statusCode, 503, res.body);
      assert.ok(Number(res.headers["retry-after"]) >= 1);
      const problem = res.json();
      assert.equal(problem.type.endsWith("signer-unavailable"), true, problem.type);
      assert.match(problem.detail, /^PKCS#11 token label kubeca-cas.*retry in 5s$/);
      const lines = await fx.auditLines();
      assert.equal(lines.filter((l) => l.event === "issued").length, issued, "nothing issued");
      const failed = lines.filter((l) => l.event === "signing-failed");
      assert.equal(failed.length, 1);
      // SoftHSM's answer to a deleted token is CKR_GENERAL_ERROR (service-error), or no token at all once a session is reopened.
      assert.equal(failed[0]!.failure.issuer, "ca");
      assert.equal(failed[0]!.failure.code, "KUBECA_SIGNER_UNAVAILABLE");
      assert.ok(["service-error", "key-not-found"].includes(failed[0]!.failure.reason), failed[0]!.failure.reason);
      const ready = await app.inject({ method: "GET", url: "/readyz" });
      assert.equal(ready.statusCode, 503, ready.body);
      assert.match(ready.body, /the token may have been removed/);
    } finally {
      await app.close();
    }
  });
});
