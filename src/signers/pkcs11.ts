// Production signer for HSMs: the CA key stays inside a PKCS#11 token (Luna, nShield, YubiHSM 2,
// CloudHSM's client, tpm2-pkcs11, SoftHSM in tests). Like aws-kms: the key is found, described and
// checked at start (a wrong PIN, a missing or extractable key fail here, not on the first request);
// each signature is one C_Sign over a locally computed digest, on a session from a small pool.
import { constants, createHash, verify as cryptoVerify } from "node:crypto";
import {
  ASN1EncodableSequence,
  ASN1Integer,
  ASN1Null,
  ASN1ObjectIdentifier,
  ASN1OctetString,
  encodeASN1,
  encodeObjectIdentifier,
} from "@oslojs/asn1";
import type { Mechanism, RsaPSS } from "pkcs11js";
import type { Pkcs11SignerConfig } from "../config/index.js";
import { KubecaError, isKubecaError } from "../errors/index.js";
import { chooseSigningAlgorithm, type SigningAlgorithmChoice } from "./algorithm.js";
import { ckrName, pinRefusedWhileServing, recoveryFor } from "./pkcs11-errors.js";
import { describeKey, readTokenKey, type TokenKey } from "./pkcs11-key.js";
import {
  asKubecaError,
  closeQuietly,
  describeToken,
  findTokenSlot,
  openPkcs11Module,
  openUserSession,
  readPin,
  type Pkcs11Api,
  type Pkcs11Module,
} from "./pkcs11-module.js";
import { SessionPool } from "./pkcs11-session-pool.js";
import type { KeyState, KeyStateChecking } from "./key-state.js";
import type { DescribableSigner } from "./signer.js";
import { SignerError, isSignerError } from "./signer-error.js";

export interface Pkcs11SignerOptions {
  /** Where the PIN variable is read (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface Pkcs11Signer extends DescribableSigner, KeyStateChecking {
  /** The key can be taken off the token (allowed only by allowExtractable); the caller audits this. */
  readonly keyLeavesToken: boolean;
  /**
   * Readiness (KeyStateChecking): is the token there, are we logged in, is the key still the key we
   * started with? Reads one attribute through a pooled session; it does not sign.
   */
  checkKey(): Promise<KeyState>;
  /** Closes this signer's sessions (and the module when no other signer uses it). */
  close(): void;
}

const SIGNATURE_BUFFER_BYTES = 1024; // RSA-4096 needs 512, ECDSA P-384 96.

// SEQUENCE { SEQUENCE { id-sha256, NULL }, OCTET STRING digest }: CKM_RSA_PKCS signs what it is given.
function sha256DigestInfo(digest: Uint8Array): Buffer {
  const algorithm = new ASN1EncodableSequence([new ASN1ObjectIdentifier(encodeObjectIdentifier("2.16.840.1.101.3.4.2.1")), new ASN1Null()]);
  return Buffer.from(encodeASN1(new ASN1EncodableSequence([algorithm, new ASN1OctetString(digest)])));
}

// CKM_ECDSA returns r ‖ s, each the curve's size; X.509 holds the DER ECDSA-Sig-Value.
function ecdsaSigValue(raw: Buffer): Uint8Array {
  const half = raw.length / 2;
  const r = BigInt("0x" + raw.subarray(0, half).toString("hex"));
  const s = BigInt("0x" + raw.subarray(half).toString("hex"));
  return encodeASN1(new ASN1EncodableSequence([new ASN1Integer(r), new ASN1Integer(s)]));
}

function mechanismFor(api: Pkcs11Api, choice: SigningAlgorithmChoice): Mechanism {
  switch (choice.pkcs11Mechanism) {
    case "CKM_ECDSA":
      return { mechanism: api.CKM_ECDSA };
    case "CKM_RSA_PKCS":
      return { mechanism: api.CKM_RSA_PKCS };
    case "CKM_RSA_PKCS_PSS": {
      const parameter: RsaPSS = { type: api.CK_PARAMS_RSA_PSS, hashAlg: api.CKM_SHA256, mgf: api.CKG_MGF1_SHA256, saltLen: 32 };
      return { mechanism: api.CKM_RSA_PKCS_PSS, parameter };
    }
  }
}

/** Verifies a signature the token made with the public key we read, so a mismatched key pair cannot start. */
function selfTest(choice: SigningAlgorithmChoice, publicKey: Uint8Array, data: Buffer, signature: Uint8Array): boolean {
  const key = { key: Buffer.from(publicKey), format: "der" as const, type: "spki" as const };
  if (choice.pkcs11Mechanism === "CKM_ECDSA") return cryptoVerify(choice.hash, data, { ...key, dsaEncoding: "der" }, signature);
  if (choice.pkcs11Mechanism === "CKM_RSA_PKCS_PSS") {
    return cryptoVerify(choice.hash, data, { ...key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  }
  return cryptoVerify(choice.hash, data, key, signature);
}

export async function createPkcs11Signer(config: Pkcs11SignerConfig, options: Pkcs11SignerOptions = {}): Promise<Pkcs11Signer> {
  const where = `${describeToken(config.token)}, ${describeKey(config.key)}`;
  const pin = await readPin(config.pin, options.env ?? process.env);
  const module = await openPkcs11Module(config.module);
  let first: Buffer | undefined;
  try {
    const slot = findTokenSlot(module, config.token, "start");
    first = start(() => openUserSession(module, slot, pin), "C_Login");
    const session = first;
    const key = start(() => readTokenKey(module, session, config.key, where), "C_GetAttributeValue");
    const choice = chooseFor(key, config, where);
    const signer = new TokenSigner(module, config, pin, where, slot, key, choice, first);
    first = undefined; // the signer's pool owns it now
    await signer.startUpTest();
    return signer;
  } catch (e) {
    if (first) closeQuietly(module, first);
    module.release();
    throw e;
  }

  function start<T>(step: () => T, operation: string): T {
    try {
      return step();
    } catch (e) {
      throw asKubecaError(e, where, operation, "start");
    }
  }
}

function chooseFor(key: TokenKey, config: Pkcs11SignerConfig, where: string): SigningAlgorithmChoice {
  if (!key.canSign) throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `PKCS#11 ${where}: the private key may not sign (CKA_SIGN is false); make a CA key with kubeca ca keygen --pkcs11`);
  if (key.leavesToken && !config.allowExtractable) {
    throw new KubecaError(
      "KUBECA_SIGNER_MISCONFIGURED",
      `PKCS#11 ${where}: the private key can leave the token (CKA_EXTRACTABLE true or CKA_SENSITIVE false), so it is not a key only the HSM holds; make a new one with kubeca ca keygen --pkcs11, or set allowExtractable: true in the signer to accept it (audited as a warning)`,
    );
  }
  try {
    return chooseSigningAlgorithm({ keySpec: key.keySpec, keyUsage: "SIGN_VERIFY", rsaPadding: config.rsaPadding });
  } catch (e) {
    throw isKubecaError(e) ? new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `PKCS#11 ${where}: ${e.detail}`, { cause: e }) : e;
  }
}

class TokenSigner implements Pkcs11Signer {
  readonly algorithm;
  readonly publicKey: Uint8Array;
  readonly keyLeavesToken: boolean;
  readonly #module: Pkcs11Module;
  readonly #config: Pkcs11SignerConfig;
  readonly #pin: string;
  readonly #where: string;
  readonly #choice: SigningAlgorithmChoice;
  readonly #mechanism: Mechanism;
  readonly #pool: SessionPool;
  #slot: Buffer;
  #key: Buffer;
  /** The token, its slot or the key handle may have changed: find them again before the next session. */
  #stale = false;
  /** The token refused our PIN while serving: never try it again (that is how PINs get locked). */
  #pinRefused: string | undefined;
  #closed = false;

  constructor(
    module: Pkcs11Module,
    config: Pkcs11SignerConfig,
    pin: string,
    where: string,
    slot: Buffer,
    key: TokenKey,
    choice: SigningAlgorithmChoice,
    first: Buffer,
  ) {
    this.#module = module;
    this.#config = config;
    this.#pin = pin;
    this.#where = where;
    this.#slot = slot;
    this.#key = key.privateKey;
    this.#choice = choice;
    this.#mechanism = mechanismFor(module.api, choice);
    this.algorithm = choice.signatureAlgorithm;
    this.publicKey = key.publicKey;
    this.keyLeavesToken = key.leavesToken;
    this.#pool = new SessionPool({ size: config.sessions, open: () => this.#openSession(), close: (s) => closeQuietly(module, s) }, first);
  }

  async sign(tbs: Uint8Array): Promise<Uint8Array> {
    const digest = createHash(this.#choice.hash).update(tbs).digest();
    const input = this.#choice.pkcs11Mechanism === "CKM_RSA_PKCS" ? sha256DigestInfo(digest) : digest;
    const raw = await this.#withSession("C_Sign", (session) => {
      this.#module.lib.C_SignInit(session, this.#mechanism, this.#key);
      return this.#module.lib.C_SignAsync(session, input, Buffer.alloc(SIGNATURE_BUFFER_BYTES));
    });
    return this.#choice.pkcs11Mechanism === "CKM_ECDSA" ? ecdsaSigValue(raw) : new Uint8Array(raw);
  }

  async checkKey(): Promise<KeyState> {
    try {
      await this.#withSession("C_GetAttributeValue", async (session) => {
        this.#module.lib.C_GetAttributeValue(session, this.#key, [{ type: this.#module.api.CKA_SIGN }]);
      });
      return { usable: true };
    } catch (e) {
      const detail = isKubecaError(e) ? e.detail : String(e);
      return { usable: false, reason: isSignerError(e) ? e.reason : "misconfigured", detail };
    }
  }

  /** One signature at start, verified with the public key we read: the key pair and mechanism work. */
  async startUpTest(): Promise<void> {
    const data = Buffer.from("kubeca pkcs11 start-up check");
    let signature: Uint8Array;
    try {
      signature = await this.sign(data);
    } catch (e) {
      this.close();
      throw e;
    }
    if (!selfTest(this.#choice, this.publicKey, data, signature)) {
      this.close();
      throw new KubecaError(
        "KUBECA_SIGNER_MISCONFIGURED",
        `PKCS#11 ${this.#where}: a signature by the private key does not verify with the public key object next to it; the token holds a mismatched key pair under this CKA_ID`,
      );
    }
  }

  describe(): string {
    return `pkcs11 ${this.#where} ${this.#choice.pkcs11Mechanism} (${this.#choice.signatureAlgorithm}) via ${this.#module.path}`;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.close();
    this.#module.release();
  }

  /**
   * Runs `call` on a pooled session. A session, token or key handle that went away is reopened and
   * a lost login renewed, then `call` runs once more; anything else, or a second failure, becomes
   * KUBECA_SIGNER_UNAVAILABLE (503) or MISCONFIGURED via pkcs11-errors.ts.
   */
  async #withSession<T>(operation: string, call: (session: Buffer) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new SignerError("KUBECA_SIGNER_UNAVAILABLE", "service-error", `PKCS#11 ${this.#where}: the signer is closed`, { retryAfter: 5 });
      if (this.#pinRefused) throw pinRefusedWhileServing(this.#where, this.#pinRefused);
      let session: Buffer;
      try {
        session = await this.#pool.acquire();
      } catch (e) {
        throw asKubecaError(e, this.#where, "C_OpenSession", "serving");
      }
      try {
        const result = await call(session);
        this.#pool.release(session);
        return result;
      } catch (e) {
        // A failed session may hold a half-done operation: never hand it out again.
        this.#pool.discard(session);
        const recovery = recoveryFor(e);
        if (attempt > 0 || recovery === "none") throw asKubecaError(e, this.#where, operation, "serving");
        if (recovery === "reopen") {
          this.#stale = true;
          this.#pool.discardIdle();
        }
      }
    }
  }

  #openSession(): Buffer {
    if (this.#stale) {
      this.#slot = findTokenSlot(this.#module, this.#config.token, "serving");
    }
    let session: Buffer;
    try {
      session = openUserSession(this.#module, this.#slot, this.#pin);
    } catch (e) {
      const name = ckrName(e);
      if (name !== undefined && name.startsWith("CKR_PIN_")) this.#pinRefused = name;
      throw e;
    }
    if (this.#stale) {
      try {
        this.#refindKey(session);
      } catch (e) {
        closeQuietly(this.#module, session);
        throw e;
      }
      this.#stale = false;
    }
    return session;
  }

  /** After the token came back: the same key (same public key) or nothing; never a look-alike. */
  #refindKey(session: Buffer): void {
    let key: TokenKey;
    try {
      key = readTokenKey(this.#module, session, this.#config.key, this.#where);
    } catch (e) {
      // It was there at start: a token without it now is a token that is not (yet) back.
      if (isKubecaError(e) && e.code === "KUBECA_SIGNER_MISCONFIGURED") {
        throw new SignerError("KUBECA_SIGNER_UNAVAILABLE", "key-not-found", `${e.detail.replace(/; create one with .*$/, "")}, though it was there at start; retry in 5s`, {
          retryAfter: 5,
          cause: e,
        });
      }
      throw e;
    }
    if (!Buffer.from(key.publicKey).equals(Buffer.from(this.publicKey))) {
      throw new SignerError(
        "KUBECA_SIGNER_UNAVAILABLE",
        "misconfigured",
        `PKCS#11 ${this.#where}: the token now holds a different key under this label/id than at start; kubeca will not sign with it until it restarts`,
        { retryAfter: 30 },
      );
    }
    this.#key = key.privateKey;
  }
}
