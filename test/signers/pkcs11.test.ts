// The pkcs11 signer against a real SoftHSM2 token made for each test: keys made by keygen, every
// algorithm verified by openssl, and the faults an HSM has (wrong or changed PIN, lost login, closed
// sessions, a token that disappears, an extractable key) answered as the issue asks.
import assert from "node:assert/strict";
import { constants, verify } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, it } from "node:test";
import { SignerConfig, type KeyAlgorithmName, type Pkcs11SignerConfig } from "../../src/config/index.js";
import { isKubecaError, type KubecaError } from "../../src/errors/index.js";
import { createCaCertificate, randomSerial } from "../../src/pki/index.js";
import type { Pkcs11Signer, SignerError } from "../../src/signers/index.js";
import { createPkcs11Signer } from "../../src/signers/pkcs11.js";
import { generatePkcs11KeyPair } from "../../src/signers/pkcs11-keygen.js";
import { closeQuietly, findTokenSlot, openPkcs11Module, openUserSession, type Pkcs11Module } from "../../src/signers/pkcs11-module.js";
import { openssl, withTempFiles } from "../support/openssl.js";
import { createTestToken, generateRawKeyPair, pkcs11SignerConfig, SOFTHSM_MODULE, type TestToken } from "../support/softhsm.js";

const opened: { close(): void }[] = [];
let token: TestToken | undefined;

afterEach(async () => {
  for (const o of opened.splice(0)) o.close();
  await token?.cleanup();
  token = undefined;
});

async function newToken(): Promise<TestToken> {
  token = await createTestToken();
  return token;
}

async function keygen(t: TestToken, label: string, algorithm: KeyAlgorithmName, id?: string) {
  return generatePkcs11KeyPair({ module: SOFTHSM_MODULE, token: { label: t.label }, pin: { env: "PIN" }, label, id, algorithm, env: { PIN: t.pin } });
}

function config(t: TestToken, key: { label?: string; id?: string }, extra: Record<string, unknown> = {}): Pkcs11SignerConfig {
  return SignerConfig.parse(pkcs11SignerConfig(t, key, extra)) as Pkcs11SignerConfig;
}

async function signer(cfg: Pkcs11SignerConfig, env?: NodeJS.ProcessEnv): Promise<Pkcs11Signer> {
  const s = await createPkcs11Signer(cfg, env ? { env } : {});
  opened.push(s);
  return s;
}

async function refusal(promise: Promise<unknown>): Promise<KubecaError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(isKubecaError(error), `expected a KubecaError, got ${String(error)}`);
  return error;
}

/** A session of the test's own on the token, as another program using the HSM would have. */
async function sideSession(t: TestToken): Promise<{ module: Pkcs11Module; session: Buffer; slot: Buffer }> {
  const module = await openPkcs11Module(SOFTHSM_MODULE);
  const slot = findTokenSlot(module, { label: t.label }, "start");
  const session = openUserSession(module, slot, t.pin, true);
  opened.push({ close: () => (closeQuietly(module, session), module.release()) });
  return { module, session, slot };
}

function verifies(s: Pkcs11Signer, data: Buffer, signature: Uint8Array): boolean {
  const key = { key: Buffer.from(s.publicKey), format: "der" as const, type: "spki" as const };
  if (s.algorithm.startsWith("ecdsa")) return verify(s.algorithm.endsWith("384") ? "sha384" : "sha256", data, { ...key, dsaEncoding: "der" }, signature);
  if (s.algorithm === "rsassa-pss-sha256") return verify("sha256", data, { ...key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  return verify("sha256", data, key, signature);
}

describe("kubeca ca keygen's key pair", () => {
  it("is a sensitive, non-extractable private key that may sign and nothing else, and a public key that may only verify", async () => {
    const t = await newToken();
    const key = await keygen(t, "kubeca-ca", "ECDSA-P256", "0a0b0c");
    assert.deepEqual([key.label, key.idHex, key.keySpec], ["kubeca-ca", "0a0b0c", "ECC_NIST_P256"]);
    const { module, session } = await sideSession(t);
    const { api, lib } = module;
    const find = (cls: number): Buffer[] => {
      lib.C_FindObjectsInit(session, [{ type: api.CKA_CLASS, value: cls }, { type: api.CKA_ID, value: Buffer.from("0a0b0c", "hex") }]);
      const found = lib.C_FindObjects(session, 4);
      lib.C_FindObjectsFinal(session);
      return found;
    };
    const [privateKey] = find(api.CKO_PRIVATE_KEY);
    const flags = (handle: Buffer, types: number[]) => lib.C_GetAttributeValue(session, handle, types.map((type) => ({ type }))).map((a) => a.value[0]);
    assert.deepEqual(
      flags(privateKey!, [api.CKA_TOKEN, api.CKA_PRIVATE, api.CKA_SENSITIVE, api.CKA_EXTRACTABLE, api.CKA_SIGN, api.CKA_DECRYPT, api.CKA_UNWRAP, api.CKA_DERIVE]),
      [1, 1, 1, 0, 1, 0, 0, 0],
    );
    const [publicKey] = find(api.CKO_PUBLIC_KEY);
    assert.deepEqual(flags(publicKey!, [api.CKA_TOKEN, api.CKA_VERIFY, api.CKA_ENCRYPT, api.CKA_WRAP]), [1, 1, 0, 0]);
  });

  it("is refused when a key with the same label exists, and the first key stays the only one", async () => {
    const t = await newToken();
    await keygen(t, "kubeca-ca", "ECDSA-P256", "01");
    const error = await refusal(keygen(t, "kubeca-ca", "ECDSA-P384", "02"));
    assert.equal(error.code, "KUBECA_SIGNER_MISCONFIGURED");
    assert.match(error.detail, /a private key with key label kubeca-ca exists already; choose another --label or --id/);
    const s = await signer(config(t, { label: "kubeca-ca" }));
    assert.equal(s.algorithm, "ecdsa-with-SHA256", "the P-384 key was not made");
  });
});

describe("the pkcs11 signer", () => {
  it("signs with every supported algorithm, and openssl -x509_strict accepts a CA certificate it made", async () => {
    const t = await newToken();
    const cases: [KeyAlgorithmName, "pkcs1" | "pss", string][] = [
      ["ECDSA-P256", "pkcs1", "ecdsa-with-SHA256"],
      ["ECDSA-P384", "pkcs1", "ecdsa-with-SHA384"],
      ["RSA-2048", "pkcs1", "sha256WithRSAEncryption"],
      ["RSA-2048", "pss", "rsassa-pss-sha256"],
      ["RSA-3072", "pkcs1", "sha256WithRSAEncryption"],
      ["RSA-3072", "pss", "rsassa-pss-sha256"],
      ["RSA-4096", "pkcs1", "sha256WithRSAEncryption"],
      ["RSA-4096", "pss", "rsassa-pss-sha256"],
    ];
    for (const algorithm of new Set(cases.map(([a]) => a))) await keygen(t, `key-${algorithm}`, algorithm);
    for (const [algorithm, rsaPadding, signatureAlgorithm] of cases) {
      const s = await signer(config(t, { label: `key-${algorithm}` }, { rsaPadding }));
      assert.equal(s.algorithm, signatureAlgorithm, `${algorithm} ${rsaPadding}`);
      const data = Buffer.from(`tbs for ${algorithm}`);
      assert.ok(verifies(s, data, await s.sign(data)), `${algorithm} ${rsaPadding}: signature verifies with the key's SPKI`);
      const der = await createCaCertificate({
        commonName: "kubernetes",
        signer: s,
        serial: randomSerial(),
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
      });
      const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END CERTIFICATE-----\n`;
      const checked = await withTempFiles({ "ca.pem": pem }, (p) => openssl(["verify", "-x509_strict", "-check_ss_sig", "-CAfile", p["ca.pem"]!, p["ca.pem"]!]));
      assert.equal(checked.code, 0, `${algorithm} ${rsaPadding}: ${checked.stderr}`);
    }
  });

  it("finds its key by CKA_ID alone and its token by serial", async () => {
    const t = await newToken();
    const key = await keygen(t, "by-id", "ECDSA-P384", "c0ffee");
    const s = await signer(config(t, { id: "c0ffee" }, { token: { serial: t.serial } }));
    assert.deepEqual(Buffer.from(s.publicKey), Buffer.from(key.publicKey));
    assert.match(s.describe(), /^pkcs11 token serial \S+, key id c0ffee CKM_ECDSA \(ecdsa-with-SHA384\)/);
  });

  it("reads the PIN from a file's first line", async () => {
    const t = await newToken();
    await keygen(t, "kubeca-ca", "ECDSA-P256");
    const pinFile = join(t.dir, "pin");
    await writeFile(pinFile, `${t.pin}\n`);
    const s = await signer(config(t, { label: "kubeca-ca" }, { pin: { file: pinFile } }));
    assert.ok(verifies(s, Buffer.from("x"), await s.sign(Buffer.from("x"))));
  });

  it("refuses to start with a wrong PIN, naming CKR_PIN_INCORRECT and never the PIN", async () => {
    const t = await newToken();
    await keygen(t, "kubeca-ca", "ECDSA-P256");
    const error = await refusal(createPkcs11Signer(config(t, { label: "kubeca-ca" }), { env: { KUBECA_TEST_PIN: "9999-wrong" } }));
    assert.equal(error.code, "KUBECA_SIGNER_MISCONFIGURED");
    assert.match(error.detail, /token label kubeca-test, key label kubeca-ca: the token refused the PIN \(CKR_PIN_INCORRECT\)/);
    assert.doesNotMatch(error.detail, /9999-wrong|5678-user/);
  });

  it("refuses to start when the PIN variable is unset, naming the variable", async () => {
    const t = await newToken();
    const error = await refusal(createPkcs11Signer(config(t, { label: "kubeca-ca" }), { env: {} }));
    assert.equal(error.code, "KUBECA_SIGNER_MISCONFIGURED");
    assert.equal(error.detail, "the PKCS#11 PIN variable KUBECA_TEST_PIN is not set; set it in kubeca's environment");
  });

  it("refuses a token label that is not there, listing the tokens that are", async () => {
    const t = await newToken();
    const error = await refusal(createPkcs11Signer(config(t, { label: "kubeca-ca" }, { token: { label: "no-such-token" } })));
    assert.equal(error.code, "KUBECA_SIGNER_MISCONFIGURED");
    assert.match(error.detail, new RegExp(`token label no-such-token: no such token in ${SOFTHSM_MODULE} \\(tokens present: kubeca-test \\(serial ${t.serial}\\)\\); check the token label or serial`));
  });

  it("refuses a key label that is not on the token, saying how to make one", async () => {
    const t = await newToken();
    const error = await refusal(createPkcs11Signer(config(t, { label: "missing" })));
    assert.equal(error.code, "KUBECA_SIGNER_MISCONFIGURED");
    assert.match(error.detail, /no private key with key label missing; create one with kubeca ca keygen --pkcs11/);
  });

  it("refuses an extractable or non-sensitive private key unless allowExtractable is set, and then reports it", async () => {
    const t = await newToken();
    await generateRawKeyPair(t, "extractable", { extractable: true, sensitive: true });
    await generateRawKeyPair(t, "readable", { extractable: false, sensitive: false });
    for (const label of ["extractable", "readable"]) {
      const error = await refusal(createPkcs11Signer(config(t, { label })));
      assert.equal(error.code, "KUBECA_SIGNER_MISCONFIGURED", label);
      assert.match(error.detail, /the private key can leave the token \(CKA_EXTRACTABLE true or CKA_SENSITIVE false\).*set allowExtractable: true/, label);
    }
    const allowed = await signer(config(t, { label: "extractable" }, { allowExtractable: true }));
    assert.equal(allowed.keyLeavesToken, true);
    assert.ok(verifies(allowed, Buffer.from("x"), await allowed.sign(Buffer.from("x"))));
    await keygen(t, "kubeca-ca", "ECDSA-P256");
    assert.equal((await signer(config(t, { label: "kubeca-ca" }))).keyLeavesToken, false);
  });

  it("logs in again when another program logged the token out, and signs", async () => {
    const t = await newToken();
    await keygen(t, "kubeca-ca", "ECDSA-P256");
    const s = await signer(config(t, { label: "kubeca-ca" }));
    const { module, session } = await sideSession(t);
    module.lib.C_Logout(session); // login state is per application: every session of ours is logged out
    const data = Buffer.from("after logout");
    assert.ok(verifies(s, data, await s.sign(data)));
    assert.deepEqual(await s.checkKey(), { usable: true });
  });

  it("reopens sessions the token closed, and signs", async () => {
    const t = await newToken();
    await keygen(t, "kubeca-ca", "ECDSA-P256");
    const s = await signer(config(t, { label: "kubeca-ca" }, { sessions: 2 }));
    await Promise.all([s.sign(Buffer.from("a")), s.sign(Buffer.from("b"))]);
    const { module, slot } = await sideSession(t);
    module.lib.C_CloseAllSessions(slot);
    const data = Buffer.from("after the sessions were closed");
    assert.ok(verifies(s, data, await s.sign(data)));
  });

  it("signs many requests at once on its few sessions, each signature its own", async () => {
    const t = await newToken();
    await keygen(t, "kubeca-ca", "ECDSA-P256");
    const s = await signer(config(t, { label: "kubeca-ca" }, { sessions: 3 }));
    const data = Array.from({ length: 40 }, (_, i) => Buffer.from(`tbs ${i}`));
    const signatures = await Promise.all(data.map((d) => s.sign(d)));
    assert.ok(signatures.every((sig, i) => verifies(s, data[i]!, sig)));
    assert.ok(!verifies(s, data[1]!, signatures[0]!), "a signature answers its own request only");
  });

  it("answers KUBECA_SIGNER_UNAVAILABLE (key-not-found) with Retry-After once the token is gone, and its key-state check says so", async () => {
    const t = await newToken();
    await keygen(t, "kubeca-ca", "ECDSA-P256");
    const s = await signer(config(t, { label: "kubeca-ca" }));
    assert.deepEqual(await s.checkKey(), { usable: true });
    await t.removeTokenFiles();
    const error = await refusal(s.sign(Buffer.from("x")));
    assert.equal(error.code, "KUBECA_SIGNER_UNAVAILABLE");
    // SoftHSM answers a deleted token with CKR_GENERAL_ERROR on a live session (service-error) or, once
    // the session is reopened, finds no token (key-not-found); a real HSM says CKR_DEVICE_REMOVED.
    const goneReasons = ["service-error", "key-not-found"];
    assert.ok(goneReasons.includes((error as SignerError).reason), (error as SignerError).reason);
    assert.ok((error.retryAfter ?? 0) >= 1);
    const gone = /^PKCS#11 token label kubeca-test(, key label kubeca-ca)?: .*the token may have been removed; retry in 5s$/;
    assert.match(error.detail, gone);
    const state = await s.checkKey();
    assert.equal(state.usable, false);
    assert.ok(state.usable === false && goneReasons.includes(state.reason));
    assert.match(state.usable === false ? state.detail : "", gone);
  });

  it("answers 503 when the token refuses the PIN while serving, and does not try that PIN again", async () => {
    const t = await newToken();
    await keygen(t, "kubeca-ca", "ECDSA-P256");
    const s = await signer(config(t, { label: "kubeca-ca" }));
    const { module, session, slot } = await sideSession(t);
    module.lib.C_SetPIN(session, t.pin, "changed-pin");
    module.lib.C_CloseAllSessions(slot); // every session gone: the signer must log in again
    const first = await refusal(s.sign(Buffer.from("x")));
    assert.equal(first.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.match(first.detail, /the token refused the PIN \(CKR_PIN_INCORRECT\).*kubeca will not try this PIN again until it restarts/);
    // Put the PIN back: a signer that still tried logging in would now succeed.
    const again = openUserSession(module, slot, "changed-pin", true);
    module.lib.C_SetPIN(again, "changed-pin", t.pin);
    closeQuietly(module, again);
    const second = await refusal(s.sign(Buffer.from("y")));
    assert.equal(second.code, "KUBECA_SIGNER_UNAVAILABLE");
    assert.match(second.detail, /will not try this PIN again/);
  });
});
