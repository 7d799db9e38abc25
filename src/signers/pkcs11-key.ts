// The CA key on a token: found by CKA_LABEL and/or CKA_ID, described in the terms the algorithm
// choice uses (ECC_NIST_P256, RSA_2048, ...), with its public key as SPKI DER and whether it can
// leave the token. The private key's value is never read: only attributes any token shows.
import { createPublicKey } from "node:crypto";
import type { PKCS11 } from "pkcs11js";
import { KubecaError } from "../errors/index.js";
import type { Pkcs11Module } from "./pkcs11-module.js";

export interface KeyRef {
  readonly label?: string | undefined;
  /** CKA_ID in hex. */
  readonly id?: string | undefined;
}

export interface TokenKey {
  readonly privateKey: Buffer;
  /** ECC_NIST_P256, ECC_NIST_P384, RSA_2048, ... as chooseSigningAlgorithm reads them; other keys by name. */
  readonly keySpec: string;
  /** SubjectPublicKeyInfo DER. */
  readonly publicKey: Uint8Array;
  readonly canSign: boolean;
  /** CKA_EXTRACTABLE true or CKA_SENSITIVE false: the key's value can be taken off the token. */
  readonly leavesToken: boolean;
  /** CKA_ID in hex ("" when the key has none). */
  readonly idHex: string;
  readonly label: string;
}

export function describeKey(ref: KeyRef): string {
  return [ref.label !== undefined ? `key label ${ref.label}` : "", ref.id !== undefined ? `key id ${ref.id}` : ""].filter(Boolean).join(", ");
}

// DER of the namedCurve OIDs in CKA_EC_PARAMS.
const CURVES: Record<string, { spec: string; crv: string; pointBytes: number }> = {
  "06082a8648ce3d030107": { spec: "ECC_NIST_P256", crv: "P-256", pointBytes: 65 },
  "06052b81040022": { spec: "ECC_NIST_P384", crv: "P-384", pointBytes: 97 },
  "06052b81040023": { spec: "ECC_NIST_P521", crv: "P-521", pointBytes: 133 },
};

function findObjects(lib: PKCS11, session: Buffer, template: { type: number; value?: number | boolean | string | Buffer }[]): Buffer[] {
  lib.C_FindObjectsInit(session, template);
  try {
    return lib.C_FindObjects(session, 16);
  } finally {
    lib.C_FindObjectsFinal(session);
  }
}

function refTemplate(module: Pkcs11Module, ref: KeyRef): { type: number; value: string | Buffer }[] {
  const { api } = module;
  const t: { type: number; value: string | Buffer }[] = [];
  if (ref.label !== undefined) t.push({ type: api.CKA_LABEL, value: ref.label });
  if (ref.id !== undefined) t.push({ type: api.CKA_ID, value: Buffer.from(ref.id, "hex") });
  return t;
}

/** Private key handles matching `ref` (zero, one or more). */
export function findPrivateKeys(module: Pkcs11Module, session: Buffer, ref: KeyRef): Buffer[] {
  return findObjects(module.lib, session, [{ type: module.api.CKA_CLASS, value: module.api.CKO_PRIVATE_KEY }, ...refTemplate(module, ref)]);
}

function ulong(value: Buffer): number {
  return value.length === 0 ? 0 : value.readUIntLE(0, Math.min(value.length, 6));
}

function bool(value: Buffer): boolean {
  return value.length > 0 && value[0] !== 0;
}

/** The one private key `ref` names on the token, described; refuses none or several. */
export function readTokenKey(module: Pkcs11Module, session: Buffer, ref: KeyRef, where: string): TokenKey {
  const { api, lib } = module;
  const found = findPrivateKeys(module, session, ref);
  if (found.length === 0) {
    throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `PKCS#11 ${where}: no private key with ${describeKey(ref)}; create one with kubeca ca keygen --pkcs11`);
  }
  if (found.length > 1) {
    throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `PKCS#11 ${where}: ${found.length} private keys match ${describeKey(ref)}; name the key by label and id together`);
  }
  const privateKey = found[0]!;
  const [keyType, sign, extractable, sensitive, id, label] = lib
    .C_GetAttributeValue(session, privateKey, [
      { type: api.CKA_KEY_TYPE },
      { type: api.CKA_SIGN },
      { type: api.CKA_EXTRACTABLE },
      { type: api.CKA_SENSITIVE },
      { type: api.CKA_ID },
      { type: api.CKA_LABEL },
    ])
    .map((a) => a.value);
  const idHex = id!.toString("hex");
  const base = {
    privateKey,
    canSign: bool(sign!),
    leavesToken: bool(extractable!) || !bool(sensitive!),
    idHex,
    label: label!.toString("utf8"),
  };
  const type = ulong(keyType!);
  if (type === api.CKK_RSA) {
    const [modulus, exponent] = lib
      .C_GetAttributeValue(session, privateKey, [{ type: api.CKA_MODULUS }, { type: api.CKA_PUBLIC_EXPONENT }])
      .map((a) => a.value);
    const n = stripLeadingZeros(modulus!);
    return { ...base, keySpec: `RSA_${n.length * 8}`, publicKey: rsaSpki(n, stripLeadingZeros(exponent!)) };
  }
  if (type === api.CKK_EC) {
    const [params] = lib.C_GetAttributeValue(session, privateKey, [{ type: api.CKA_EC_PARAMS }]).map((a) => a.value);
    const curve = CURVES[params!.toString("hex")];
    if (!curve) return { ...base, keySpec: `EC key on curve ${params!.toString("hex")}`, publicKey: new Uint8Array() };
    // PKCS#11 keeps the EC point on the public key object only; it shares the private key's CKA_ID.
    const publicKeys = findObjects(lib, session, [
      { type: api.CKA_CLASS, value: api.CKO_PUBLIC_KEY },
      ...(idHex !== "" ? [{ type: api.CKA_ID, value: id! }] : [{ type: api.CKA_LABEL, value: base.label }]),
    ]);
    if (publicKeys.length !== 1) {
      throw new KubecaError(
        "KUBECA_SIGNER_MISCONFIGURED",
        `PKCS#11 ${where}: the EC private key needs exactly one public key object with the same ${idHex !== "" ? `CKA_ID ${idHex}` : `CKA_LABEL ${base.label}`} (found ${publicKeys.length}); kubeca reads the CA's public key from it`,
      );
    }
    const [point] = lib.C_GetAttributeValue(session, publicKeys[0]!, [{ type: api.CKA_EC_POINT }]).map((a) => a.value);
    return { ...base, keySpec: curve.spec, publicKey: ecSpki(curve, point!, where) };
  }
  return { ...base, keySpec: `key type ${type}`, publicKey: new Uint8Array() };
}

function stripLeadingZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function rsaSpki(n: Buffer, e: Buffer): Uint8Array {
  const jwk = { kty: "RSA", n: n.toString("base64url"), e: e.toString("base64url") };
  return new Uint8Array(createPublicKey({ key: jwk, format: "jwk" }).export({ format: "der", type: "spki" }));
}

/**
 * CKA_EC_POINT is the DER OCTET STRING around the uncompressed point (PKCS#11 2.40); some modules
 * hand back the bare point. The length tells the two apart: 04 ‖ X ‖ Y has a known size per curve.
 */
function ecSpki(curve: { crv: string; pointBytes: number }, ecPoint: Buffer, where: string): Uint8Array {
  let point = ecPoint;
  if (point.length !== curve.pointBytes) {
    const headerBytes = point.length - curve.pointBytes;
    const lengthOk = headerBytes === 2 ? point[1] === curve.pointBytes : headerBytes === 3 && point[1] === 0x81 && point[2] === curve.pointBytes;
    if (point[0] !== 0x04 || !lengthOk) {
      throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `PKCS#11 ${where}: the public key's CKA_EC_POINT is not an uncompressed ${curve.crv} point`);
    }
    point = point.subarray(headerBytes);
  }
  if (point[0] !== 0x04) {
    throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `PKCS#11 ${where}: the public key's CKA_EC_POINT is not an uncompressed ${curve.crv} point`);
  }
  const size = (curve.pointBytes - 1) / 2;
  const jwk = { kty: "EC", crv: curve.crv, x: point.subarray(1, 1 + size).toString("base64url"), y: point.subarray(1 + size).toString("base64url") };
  try {
    return new Uint8Array(createPublicKey({ key: jwk, format: "jwk" }).export({ format: "der", type: "spki" }));
  } catch (cause) {
    throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `PKCS#11 ${where}: the public key's CKA_EC_POINT is not a point on ${curve.crv}`, { cause });
  }
}

/** The DER namedCurve OID for CKA_EC_PARAMS when generating a key. */
export function ecParamsFor(curve: "P-256" | "P-384"): Buffer {
  const hex = Object.entries(CURVES).find(([, c]) => c.crv === curve)![0];
  return Buffer.from(hex, "hex");
}
