// `kubeca ca keygen --pkcs11`: a CA key pair made inside the token, as a CA key must be: the private
// key sensitive, not extractable, able to sign and nothing else; the public key able to verify only.
import { randomBytes } from "node:crypto";
import type { Attribute } from "pkcs11js";
import type { KeyAlgorithmName, Pkcs11SignerConfig } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import { describeKey, ecParamsFor, findPrivateKeys, readTokenKey } from "./pkcs11-key.js";
import { asKubecaError, closeQuietly, describeToken, findTokenSlot, openPkcs11Module, openUserSession, readPin } from "./pkcs11-module.js";

export interface Pkcs11KeygenRequest {
  readonly module: string;
  readonly token: Pkcs11SignerConfig["token"];
  readonly pin: Pkcs11SignerConfig["pin"];
  readonly label: string;
  /** CKA_ID in hex; 8 random bytes when absent. */
  readonly id?: string | undefined;
  readonly algorithm: KeyAlgorithmName;
  readonly env?: NodeJS.ProcessEnv;
}

export interface Pkcs11GeneratedKey {
  readonly label: string;
  readonly idHex: string;
  readonly keySpec: string;
  /** SubjectPublicKeyInfo DER, read back from the token. */
  readonly publicKey: Uint8Array;
}

const RSA_BITS: Partial<Record<KeyAlgorithmName, number>> = { "RSA-2048": 2048, "RSA-3072": 3072, "RSA-4096": 4096 };

export async function generatePkcs11KeyPair(request: Pkcs11KeygenRequest): Promise<Pkcs11GeneratedKey> {
  const idHex = request.id ?? randomBytes(8).toString("hex");
  const ref = { label: request.label, id: idHex };
  const where = `${describeToken(request.token)}, ${describeKey(ref)}`;
  const pin = await readPin(request.pin, request.env ?? process.env);
  const module = await openPkcs11Module(request.module);
  let session: Buffer | undefined;
  try {
    const slot = findTokenSlot(module, request.token, "start");
    session = step(() => openUserSession(module, slot, pin, true), "C_Login");
    const open = session;
    // A second key under the same label or id would make the signer's lookup ambiguous.
    for (const clash of [{ label: request.label }, { id: idHex }]) {
      if (step(() => findPrivateKeys(module, open, clash), "C_FindObjects").length > 0) {
        throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `PKCS#11 ${describeToken(request.token)}: a private key with ${describeKey(clash)} exists already; choose another --label or --id`);
      }
    }
    const { api, lib } = module;
    const id = Buffer.from(idHex, "hex");
    const common: Attribute[] = [
      { type: api.CKA_TOKEN, value: true },
      { type: api.CKA_LABEL, value: request.label },
      { type: api.CKA_ID, value: id },
    ];
    const publicTemplate: Attribute[] = [
      ...common,
      { type: api.CKA_PRIVATE, value: false },
      { type: api.CKA_VERIFY, value: true },
      { type: api.CKA_ENCRYPT, value: false },
      { type: api.CKA_WRAP, value: false },
    ];
    const privateTemplate: Attribute[] = [
      ...common,
      { type: api.CKA_PRIVATE, value: true },
      { type: api.CKA_SENSITIVE, value: true },
      { type: api.CKA_EXTRACTABLE, value: false },
      { type: api.CKA_SIGN, value: true },
      { type: api.CKA_DECRYPT, value: false },
      { type: api.CKA_UNWRAP, value: false },
      { type: api.CKA_DERIVE, value: false },
    ];
    const bits = RSA_BITS[request.algorithm];
    let mechanism: number;
    if (bits !== undefined) {
      mechanism = api.CKM_RSA_PKCS_KEY_PAIR_GEN;
      publicTemplate.push({ type: api.CKA_MODULUS_BITS, value: bits }, { type: api.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) });
    } else {
      mechanism = api.CKM_EC_KEY_PAIR_GEN;
      publicTemplate.push({ type: api.CKA_EC_PARAMS, value: ecParamsFor(request.algorithm === "ECDSA-P384" ? "P-384" : "P-256") });
    }
    step(() => lib.C_GenerateKeyPair(open, { mechanism }, publicTemplate, privateTemplate), "C_GenerateKeyPair");
    const key = step(() => readTokenKey(module, open, ref, where), "C_GetAttributeValue");
    if (key.leavesToken || !key.canSign) {
      throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `PKCS#11 ${where}: the token made the key ${key.leavesToken ? "extractable" : "unable to sign"} despite the template; do not use it`);
    }
    return { label: request.label, idHex, keySpec: key.keySpec, publicKey: key.publicKey };
  } finally {
    if (session) closeQuietly(module, session);
    module.release();
  }

  function step<T>(run: () => T, operation: string): T {
    try {
      return run();
    } catch (e) {
      throw asKubecaError(e, where, operation, "start");
    }
  }
}
