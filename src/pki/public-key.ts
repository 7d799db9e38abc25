// Reading a SubjectPublicKeyInfo: what kind of key it is (for policy) and a KeyObject to verify with.
// Import cost dominates CSR verification, so each key type takes the fastest import measured. On Node 20
// (OpenSSL 3.0): P-256 and RSA as JWK (61 µs and 4 µs, against ~96 µs for the SPKI decoder),
// P-384 through the SPKI decoder (99 µs; its JWK path validates the point for ~420 µs), Ed25519 as JWK.
// OpenSSL 3.5 (Node 22, what Lambda and the image run) decodes an SPKI faster than a JWK for EC keys
// (P-256: 38 against 50 µs, same run), so P-256 takes the SPKI decoder there; RSA stays JWK (12 against 25 µs).
import { createPublicKey, type KeyObject } from "node:crypto";
import { childrenOf, contentOf, DerError, expectUniversal, isUniversal, readElement, readOid, readWholeBitString, TAG, type DerElement } from "./der-reader.js";
import { OID } from "./oids.js";
import type { KeyAlgorithm } from "./types.js";

export interface PublicKey {
  readonly algorithm: KeyAlgorithm;
  readonly key: KeyObject;
}

/** OpenSSL 3.2 and later (3.5 measured) decode EC SPKIs faster than they import EC JWKs. */
const FAST_SPKI_DECODER = (() => {
  const [major = 0, minor = 0] = (process.versions.openssl ?? "").split(".").map(Number);
  return major > 3 || (major === 3 && minor >= 2);
})();

const CURVES: Readonly<Record<string, { name: string; pointBytes: number }>> = {
  [OID.p256]: { name: "P-256", pointBytes: 32 },
  [OID.p384]: { name: "P-384", pointBytes: 48 },
  [OID.p521]: { name: "P-521", pointBytes: 66 },
};

/** Throws DerError when the structure is wrong or the key cannot be loaded. */
export function readPublicKey(buf: Uint8Array, spki: DerElement): PublicKey {
  expectUniversal(spki, TAG.sequence, "the public key (SubjectPublicKeyInfo)");
  const [algEl, keyEl, extra] = childrenOf(buf, spki, "the public key");
  if (!algEl || !keyEl || extra) throw new DerError("the public key should have an algorithm and a key");
  expectUniversal(algEl, TAG.sequence, "the public key algorithm");
  const [oidEl, params, more] = childrenOf(buf, algEl, "the public key algorithm");
  if (!oidEl || more) throw new DerError("the public key algorithm is malformed");
  const oid = readOid(oidEl, "the public key algorithm");
  const keyBits = readWholeBitString(buf, keyEl, "the public key bits");
  const spkiDer = buf.subarray(spki.start, spki.end);

  switch (oid) {
    case OID.ecPublicKey:
      return ecKey(params, keyBits, spkiDer);
    case OID.rsaEncryption:
      // Go's crypto/x509 refuses an RSA key without them, and the SPKI is embedded unchanged.
      if (!params || !isUniversal(params, TAG.null) || params.end !== params.contentStart) {
        throw new DerError("an RSA public key's algorithm parameters must be NULL (RFC 3279), as kubeadm writes them and Go requires");
      }
      return rsaKey(keyBits);
    case OID.ed25519:
      if (params) throw new DerError("an Ed25519 public key has no algorithm parameters");
      if (keyBits.length !== 32) throw new DerError(`an Ed25519 public key is 32 bytes, not ${keyBits.length}`);
      return { algorithm: { type: "ed25519" }, key: importJwk({ kty: "OKP", crv: "Ed25519", x: b64url(keyBits) }) };
    case OID.rsassaPss:
      // OpenSSL loads it as RSA and policy would call it RSA-2048, but Go's crypto/x509 has no such key
      // type: the apiserver, etcd and kubelets could not use the certificate.
      throw new DerError(
        `the public key is an RSASSA-PSS key (OID ${OID.rsassaPss}); kubeca certifies RSA keys only as rsaEncryption, the form kubeadm makes and Go reads`,
      );
    default:
      // Whatever OpenSSL can load still gets its signature checked; policy refuses the key type.
      return { algorithm: { type: "unknown", oid }, key: importSpki(spkiDer, `public key algorithm ${oid} is not supported`) };
  }
}

function ecKey(params: DerElement | undefined, point: Uint8Array, spkiDer: Uint8Array): PublicKey {
  if (!params || !isUniversal(params, TAG.oid)) throw new DerError("an EC public key must name its curve (namedCurve OID)");
  const curveOid = readOid(params, "the EC curve");
  // Go's crypto/x509 reads only uncompressed points; OpenSSL would load a compressed one.
  if (point[0] !== 0x04) {
    const form = point[0] === 0x02 || point[0] === 0x03 ? "a compressed point" : point[0] === 0x06 || point[0] === 0x07 ? "a hybrid point" : "not a point";
    throw new DerError(`the EC public key is ${form}; kubeca certifies EC keys only as uncompressed points (04…), the form kubeadm makes and Go reads`);
  }
  const curve = CURVES[curveOid];
  if (curve?.name === "P-256" && point.length === 65 && point[0] === 0x04 && !FAST_SPKI_DECODER) {
    const x = b64url(point.subarray(1, 33));
    const y = b64url(point.subarray(33));
    return { algorithm: { type: "ec", curve: "P-256" }, key: importJwk({ kty: "EC", crv: "P-256", x, y }) };
  }
  // Other curves, and P-256 on a newer OpenSSL: the SPKI decoder (see header).
  const key = importSpki(spkiDer, curve ? `the ${curve.name} public key is invalid (OpenSSL refused to load it)` : `EC curve ${curveOid} is not supported`);
  return { algorithm: { type: "ec", curve: curve?.name ?? key.asymmetricKeyDetails?.namedCurve ?? curveOid }, key };
}

function rsaKey(keyBits: Uint8Array): PublicKey {
  const seq = readElement(keyBits, 0, keyBits.length, "the RSA public key");
  if (seq.end !== keyBits.length) throw new DerError("the RSA public key has trailing bytes");
  expectUniversal(seq, TAG.sequence, "the RSA public key");
  const [nEl, eEl, extra] = childrenOf(keyBits, seq, "the RSA public key");
  if (!nEl || !eEl || extra) throw new DerError("the RSA public key should be a modulus and an exponent");
  const n = unsignedInteger(keyBits, nEl, "the RSA modulus");
  const e = unsignedInteger(keyBits, eEl, "the RSA exponent");
  assertRsaExponent(e);
  const bits = (n.length - 1) * 8 + (32 - Math.clz32(n[0] ?? 0));
  return { algorithm: { type: "rsa", bits }, key: importJwk({ kty: "RSA", n: b64url(n), e: b64url(e) }) };
}

// RFC 8017 §3.1: e is odd and at least 3. With e = 1 every "signature" is its own message, so anyone can
// sign for the key (the CSR's proof of possession included); an even e has no private key. Go's crypto/rsa
// refuses e above 2^31-1, so such a certificate would be useless to the apiserver, etcd and kubelets.
function assertRsaExponent(e: Uint8Array): void {
  const value = e.length <= 4 ? e.reduce((v, b) => v * 256 + b, 0) : undefined;
  if (value === undefined || value < 3 || value % 2 === 0 || value > 0x7fffffff) {
    throw new DerError(`the RSA public exponent is ${value ?? `a ${e.length}-byte number`}; it must be odd and from 3 to 2^31-1 (kubeadm uses 65537)`);
  }
}

/** Magnitude bytes of a positive INTEGER (without the sign-padding zero). */
function unsignedInteger(buf: Uint8Array, el: DerElement, what: string): Uint8Array {
  expectUniversal(el, TAG.integer, what);
  const c = contentOf(buf, el);
  if (c.length === 0 || ((c[0] ?? 0) & 0x80) !== 0) throw new DerError(`${what} must be a positive INTEGER`);
  if (c[0] === 0 && c.length > 1 && ((c[1] ?? 0) & 0x80) === 0) throw new DerError(`${what} is not minimally encoded`);
  const m = c[0] === 0 ? c.subarray(1) : c;
  if (m.length === 0) throw new DerError(`${what} is zero`);
  return m;
}

function importJwk(jwk: Record<string, string>): KeyObject {
  try {
    return createPublicKey({ key: jwk, format: "jwk" });
  } catch {
    throw new DerError(`the ${jwk.kty === "RSA" ? "RSA" : jwk.crv} public key is invalid (OpenSSL refused to load it)`);
  }
}

function importSpki(spkiDer: Uint8Array, unsupported = "the public key is invalid (OpenSSL refused to load it)"): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(spkiDer.buffer, spkiDer.byteOffset, spkiDer.byteLength), format: "der", type: "spki" });
  } catch {
    throw new DerError(unsupported);
  }
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}
