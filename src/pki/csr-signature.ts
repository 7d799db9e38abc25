// Which signature algorithm a CSR claims, and checking its self-signature with node:crypto over the
// raw CertificationRequestInfo bytes (no re-encoding, no WebCrypto thread-pool hop).
import { constants, verify, type KeyObject } from "node:crypto";
import { KubecaError } from "../errors/index.js";
import { childrenOf, DerError, expectUniversal, isContext, isUniversal, readElement, readOid, readSmallInteger, TAG, type DerElement } from "./der-reader.js";
import { OID } from "./oids.js";
import type { KeyAlgorithm } from "./types.js";

type Hash = "sha256" | "sha384" | "sha512";

export interface CsrSignatureScheme {
  /** For messages: `ecdsa-with-SHA256`, `RSASSA-PSS(SHA-384, salt 48)`, ... */
  readonly name: string;
  readonly keyType: "ec" | "rsa" | "ed25519";
  /** Undefined for Ed25519, which hashes internally. */
  readonly hash: Hash | undefined;
  readonly pssSaltLength?: number;
}

const SIMPLE: Readonly<Record<string, CsrSignatureScheme>> = {
  [OID.ecdsaWithSha256]: { name: "ecdsa-with-SHA256", keyType: "ec", hash: "sha256" },
  [OID.ecdsaWithSha384]: { name: "ecdsa-with-SHA384", keyType: "ec", hash: "sha384" },
  [OID.ecdsaWithSha512]: { name: "ecdsa-with-SHA512", keyType: "ec", hash: "sha512" },
  [OID.sha256WithRsa]: { name: "sha256WithRSAEncryption", keyType: "rsa", hash: "sha256" },
  [OID.sha384WithRsa]: { name: "sha384WithRSAEncryption", keyType: "rsa", hash: "sha384" },
  [OID.sha512WithRsa]: { name: "sha512WithRSAEncryption", keyType: "rsa", hash: "sha512" },
  [OID.ed25519]: { name: "Ed25519", keyType: "ed25519", hash: undefined },
};

const HASHES: Readonly<Record<string, Hash>> = { [OID.sha256]: "sha256", [OID.sha384]: "sha384", [OID.sha512]: "sha512" };

function malformed(detail: string): never {
  throw new KubecaError("KUBECA_CSR_MALFORMED", detail);
}

/** Reads the CSR's signatureAlgorithm. Unsupported or weak algorithms are KUBECA_CSR_MALFORMED. */
export function readSignatureScheme(buf: Uint8Array, alg: DerElement): CsrSignatureScheme {
  expectUniversal(alg, TAG.sequence, "the signature algorithm");
  const [oidEl, params, extra] = childrenOf(buf, alg, "the signature algorithm");
  if (!oidEl || extra) throw new DerError("the signature algorithm is malformed");
  const oid = readOid(oidEl, "the signature algorithm");
  if (oid === OID.sha1WithRsa || oid === OID.ecdsaWithSha1) {
    malformed("the CSR is signed with SHA-1, which is not accepted; sign it with SHA-256 or stronger");
  }
  if (oid === OID.rsassaPss) return readPss(buf, params);
  const scheme = SIMPLE[oid];
  if (!scheme) malformed(`the CSR's signature algorithm ${oid} is not supported; use ECDSA, RSA (PKCS#1 v1.5 or PSS) with SHA-256/384/512`);
  // RFC 5758: ECDSA and Ed25519 identifiers have no parameters; RFC 4055: RSA ones have NULL (tolerate absent).
  const nullOk = scheme.keyType === "rsa";
  if (params && !(nullOk && isUniversal(params, TAG.null))) {
    throw new DerError(`the ${scheme.name} algorithm identifier has unexpected parameters`);
  }
  return scheme;
}

// RSASSA-PSS-params (RFC 4055 §3.1): the defaults are SHA-1, so a PSS CSR must spell out its hash.
function readPss(buf: Uint8Array, params: DerElement | undefined): CsrSignatureScheme {
  if (!params) malformed("the RSASSA-PSS signature algorithm has no parameters, which means SHA-1; use SHA-256 or stronger");
  expectUniversal(params, TAG.sequence, "the RSASSA-PSS parameters");
  let hash: Hash | undefined;
  let mgfHash: Hash | undefined;
  let salt = 20;
  for (const field of childrenOf(buf, params, "the RSASSA-PSS parameters")) {
    const inner = readElement(buf, field.contentStart, field.end, "an RSASSA-PSS parameter");
    if (inner.end !== field.end) throw new DerError("an RSASSA-PSS parameter has trailing bytes");
    if (isContext(field, 0)) hash = digestOf(buf, inner, "the RSASSA-PSS hash");
    else if (isContext(field, 1)) mgfHash = mgf1Digest(buf, inner);
    else if (isContext(field, 2)) salt = readSmallInteger(inner, "the RSASSA-PSS salt length");
    else if (isContext(field, 3)) {
      if (readSmallInteger(inner, "the RSASSA-PSS trailer field") !== 1) malformed("the RSASSA-PSS trailer field must be 1");
    } else throw new DerError("the RSASSA-PSS parameters contain an unknown field");
  }
  if (!hash || !mgfHash) malformed("the RSASSA-PSS parameters default to SHA-1, which is not accepted; use SHA-256 or stronger");
  if (hash !== mgfHash) malformed(`the RSASSA-PSS hash (${hash}) and MGF1 hash (${mgfHash}) differ; use the same hash for both`);
  if (salt < 0) throw new DerError("the RSASSA-PSS salt length is negative");
  return { name: `RSASSA-PSS(${hash}, salt ${salt})`, keyType: "rsa", hash, pssSaltLength: salt };
}

function digestOf(buf: Uint8Array, alg: DerElement, what: string): Hash {
  expectUniversal(alg, TAG.sequence, what);
  const [oidEl, params] = childrenOf(buf, alg, what);
  if (!oidEl) throw new DerError(`${what} is malformed`);
  const oid = readOid(oidEl, what);
  if (params && !isUniversal(params, TAG.null)) throw new DerError(`${what} has unexpected parameters`);
  const hash = HASHES[oid];
  if (!hash) malformed(`${what} ${oid === OID.sha1 ? "is SHA-1, which is not accepted" : `${oid} is not supported`}; use SHA-256 or stronger`);
  return hash;
}

function mgf1Digest(buf: Uint8Array, alg: DerElement): Hash {
  expectUniversal(alg, TAG.sequence, "the RSASSA-PSS mask generation function");
  const [oidEl, params] = childrenOf(buf, alg, "the RSASSA-PSS mask generation function");
  if (!oidEl || !params || readOid(oidEl, "the mask generation function") !== OID.mgf1) {
    malformed("the RSASSA-PSS mask generation function must be MGF1 with a named hash");
  }
  return digestOf(buf, params, "the MGF1 hash");
}

/** Throws KUBECA_CSR_SIGNATURE_INVALID unless `signature` verifies over `signed` with `key`. */
export function verifyCsrSignature(
  scheme: CsrSignatureScheme,
  keyAlgorithm: KeyAlgorithm,
  key: KeyObject,
  signed: Uint8Array,
  signature: Uint8Array,
): void {
  if (keyAlgorithm.type !== scheme.keyType) {
    throw new KubecaError(
      "KUBECA_CSR_SIGNATURE_INVALID",
      `the CSR says it is signed with ${scheme.name}, which cannot come from its ${keyAlgorithm.type} public key`,
    );
  }
  let ok = false;
  try {
    const k =
      scheme.pssSaltLength === undefined
        ? key
        : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.pssSaltLength };
    ok = verify(scheme.hash ?? null, signed, k, signature);
  } catch {
    ok = false; // a signature OpenSSL cannot even parse is simply not valid
  }
  if (!ok) {
    throw new KubecaError(
      "KUBECA_CSR_SIGNATURE_INVALID",
      `the CSR's ${scheme.name} signature does not verify with its own public key: the CSR was altered after signing, or signed by another key`,
    );
  }
}
