// CA certificates: reading the one a CA signs under (once, at start) and creating a self-signed one
// exactly like kubeadm's (spec §1.1), signed through a Signer so it works with a KMS key.
import { createHash } from "node:crypto";
import { KubecaError } from "../errors/index.js";
import type { Signer } from "../signers/signer.js";
import {
  childrenOf,
  contentOf,
  DerError,
  expectUniversal,
  isContext,
  isUniversal,
  readBoolean,
  readElement,
  readOid,
  readSmallInteger,
  TAG,
  type DerElement,
} from "./der-reader.js";
import { bitString, explicit, implicitPrimitive, integer, namedBits, octetString, oid, printableString, sequence, set, time, utf8String } from "./der-writer.js";
import { decodeName, nameText } from "./distinguished-name.js";
import { basicConstraints, encodeExtension, KEY_USAGE } from "./extensions.js";
import { subjectKeyIdentifier } from "./key-identifier.js";
import { OID } from "./oids.js";
import { decodeBase64, encodePem, findPemBlocks, looksLikePem, PemError } from "./pem.js";
import { serialValue } from "./serial.js";
import { signatureAlgorithmDer } from "./signature-algorithm.js";
import type { CaCertificateInfo } from "./types.js";

function invalid(detail: string): never {
  throw new KubecaError("KUBECA_CA_INVALID", detail);
}

/**
 * Reads a CA certificate (PEM with one CERTIFICATE block, or DER). Refuses, with KUBECA_CA_INVALID,
 * anything that cannot issue: not a v3 CA (BasicConstraints CA:TRUE), no Subject Key Identifier, or a
 * KeyUsage without keyCertSign.
 */
export function readCaCertificate(input: string | Uint8Array): CaCertificateInfo {
  const der = typeof input === "string" ? derFromPem(input) : input;
  try {
    return readDer(der);
  } catch (e) {
    if (e instanceof DerError) invalid(`the CA certificate is not valid DER X.509: ${e.message}`);
    throw e;
  }
}

function derFromPem(text: string): Uint8Array {
  try {
    if (!looksLikePem(text)) return decodeBase64(text, "the CA certificate (neither PEM nor base64 DER)");
    const blocks = findPemBlocks(text);
    if (blocks.some((b) => b.label.includes("PRIVATE KEY"))) {
      invalid("the CA certificate file contains a private key; kubeca never holds CA keys: remove the key from the file");
    }
    const certs = blocks.filter((b) => b.label === "CERTIFICATE");
    if (certs.length !== 1 || !certs[0]) invalid(`found ${certs.length} CERTIFICATE blocks; a CA certificate file holds exactly one`);
    return decodeBase64(certs[0].body, "the CA certificate's PEM body");
  } catch (e) {
    if (e instanceof PemError) invalid(e.message);
    throw e;
  }
}

function readDer(der: Uint8Array): CaCertificateInfo {
  const cert = readElement(der, 0, der.length, "the certificate");
  expectUniversal(cert, TAG.sequence, "the certificate");
  if (cert.end !== der.length) invalid(`${der.length - cert.end} bytes follow the CA certificate`);
  const [tbsEl] = childrenOf(der, cert, "the certificate");
  if (!tbsEl) throw new DerError("the certificate is empty");
  expectUniversal(tbsEl, TAG.sequence, "the TBSCertificate");
  const fields = childrenOf(der, tbsEl, "the TBSCertificate");
  const versionEl = fields[0];
  if (!versionEl || !isContext(versionEl, 0)) invalid("the CA certificate is X.509 v1; a CA needs v3 extensions");
  const version = readSmallInteger(readElement(der, versionEl.contentStart, versionEl.end, "the version"), "the version");
  if (version !== 2) invalid(`the CA certificate is X.509 v${version + 1}; a CA needs v3 extensions`);
  const [, , , validityEl, subjectEl, spkiEl] = fields.slice(1);
  if (!validityEl || !subjectEl || !spkiEl) throw new DerError("the TBSCertificate is missing fields");
  const extensionsEl = fields.find((f) => isContext(f, 3));

  const subjectText = nameText(decodeName(der, subjectEl, "the CA subject"));
  const [notBefore, notAfter] = readValidity(der, validityEl);
  const extensions = extensionsEl ? readExtensions(der, extensionsEl) : new Map<string, Uint8Array>();

  const bc = extensions.get(OID.basicConstraints);
  if (!bc || !isCa(bc)) {
    invalid(`${subjectText} is not a CA certificate (BasicConstraints CA:TRUE is missing); use the CA's certificate, not a leaf`);
  }
  const ku = extensions.get(OID.keyUsage);
  if (ku && !hasKeyUsageBit(ku, KEY_USAGE.keyCertSign)) {
    invalid(`${subjectText} has a KeyUsage without keyCertSign, so it may not sign certificates`);
  }
  const ski = extensions.get(OID.subjectKeyIdentifier);
  if (!ski) invalid(`${subjectText} has no Subject Key Identifier; leaves need it for their Authority Key Identifier`);
  const subjectKeyId = readOctetString(ski, "the Subject Key Identifier");
  if (subjectKeyId.length === 0) invalid(`${subjectText} has an empty Subject Key Identifier`);

  const copy = new Uint8Array(der); // the info outlives the caller's buffer
  return Object.freeze({
    der: copy,
    pem: encodePem("CERTIFICATE", copy),
    subjectDer: copy.subarray(subjectEl.start, subjectEl.end),
    subjectText,
    subjectKeyId,
    spkiDer: copy.subarray(spkiEl.start, spkiEl.end),
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    sha256: createHash("sha256").update(copy).digest("hex"),
  });
}

/** Validity (RFC 5280 §4.1.2.5): two times, UTCTime (1950–2049) or GeneralizedTime, as milliseconds. */
function readValidity(der: Uint8Array, validityEl: DerElement): [number, number] {
  expectUniversal(validityEl, TAG.sequence, "the validity");
  const [notBefore, notAfter, extra] = childrenOf(der, validityEl, "the validity");
  if (!notBefore || !notAfter || extra) throw new DerError("the validity must hold exactly notBefore and notAfter");
  return [readTime(notBefore, "notBefore"), readTime(notAfter, "notAfter")];
}

function readTime(el: DerElement, what: string): number {
  try {
    if (isUniversal(el, TAG.utcTime)) {
      const t = el.value.utcTime();
      return Date.UTC(t.year + (t.year < 50 ? 2000 : 1900), t.month - 1, t.date, t.hours, t.minutes, t.seconds);
    }
    if (isUniversal(el, TAG.generalizedTime)) {
      const t = el.value.generalizedTime();
      return Date.UTC(t.year, t.month - 1, t.date, t.hours, t.minutes, t.seconds, t.milliseconds);
    }
  } catch {
    throw new DerError(`${what} is not a valid time`);
  }
  throw new DerError(`${what} should be a UTCTime or GeneralizedTime`);
}

/** Each extension's extnValue contents by OID; an OID twice is refused (RFC 5280 §4.2). */
function readExtensions(der: Uint8Array, wrapper: DerElement): Map<string, Uint8Array> {
  const list = readElement(der, wrapper.contentStart, wrapper.end, "the extensions");
  expectUniversal(list, TAG.sequence, "the extensions");
  const map = new Map<string, Uint8Array>();
  for (const extEl of childrenOf(der, list, "the extensions")) {
    expectUniversal(extEl, TAG.sequence, "an extension");
    const [idEl, second, third] = childrenOf(der, extEl, "an extension");
    if (!idEl || !second) throw new DerError("an extension is missing its fields");
    const extnID = readOid(idEl, "an extension's id");
    const valueEl = third ?? second;
    if (third) readBoolean(second, `extension ${extnID}'s critical flag`);
    expectUniversal(valueEl, TAG.octetString, `extension ${extnID}'s value`);
    if (map.has(extnID)) throw new DerError(`extension ${extnID} appears twice`);
    map.set(extnID, contentOf(der, valueEl));
  }
  return map;
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL } */
function isCa(value: Uint8Array): boolean {
  const seq = wholeElement(value, "BasicConstraints");
  expectUniversal(seq, TAG.sequence, "BasicConstraints");
  const [first] = childrenOf(value, seq, "BasicConstraints");
  return first !== undefined && isUniversal(first, TAG.boolean) && readBoolean(first, "BasicConstraints cA");
}

/** KeyUsage ::= BIT STRING; bit n of `flag` (`1 << n`) is bit n of the string. */
function hasKeyUsageBit(value: Uint8Array, flag: number): boolean {
  const el = wholeElement(value, "KeyUsage");
  expectUniversal(el, TAG.bitString, "KeyUsage");
  const bits = contentOf(value, el).subarray(1); // after the unused-bits octet
  const n = 31 - Math.clz32(flag);
  return (((bits[n >> 3] ?? 0) << (n & 7)) & 0x80) !== 0;
}

function readOctetString(value: Uint8Array, what: string): Uint8Array {
  const el = wholeElement(value, what);
  expectUniversal(el, TAG.octetString, what);
  return new Uint8Array(contentOf(value, el));
}

function wholeElement(bytes: Uint8Array, what: string): DerElement {
  const el = readElement(bytes, 0, bytes.length, what);
  if (el.end !== bytes.length) throw new DerError(`${what} has trailing bytes`);
  return el;
}

export interface CreateCaCertificateOptions {
  /** kubeadm's names: `kubernetes`, `etcd-ca`, `front-proxy-ca`. */
  readonly commonName: string;
  readonly signer: Signer;
  /** Positive, at most 20 octets encoded (see randomSerial). */
  readonly serial: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * A self-signed CA certificate, DER, as kubeadm makes one: v3, subject CN only, KeyUsage
 * digitalSignature | keyEncipherment | keyCertSign (critical), BasicConstraints CA:TRUE (critical),
 * SKI (SHA-1 of the key bits, as Go), AKI = SKI, and a DNS SAN equal to the CN.
 */
export async function createCaCertificate(options: CreateCaCertificateOptions): Promise<Uint8Array> {
  const { commonName, signer } = options;
  if (commonName.length === 0) throw new KubecaError("KUBECA_CONFIG_INVALID", "a CA certificate needs a common name");
  if (options.notAfter.getTime() <= options.notBefore.getTime()) {
    throw new KubecaError("KUBECA_CONFIG_INVALID", "the CA certificate's notAfter must be after its notBefore");
  }
  const keyId = subjectKeyIdentifier(signer.publicKey);
  const name = sequence([set([sequence([oid(OID.commonName), directoryString(commonName)])])]);
  const tbsDer = sequence([
    explicit(0, integer(2n)), // v3
    integer(serialValue(options.serial)),
    signatureAlgorithmDer(signer.algorithm),
    name,
    sequence([time(options.notBefore), time(options.notAfter)]),
    name,
    spkiOf(signer.publicKey),
    explicit(
      3,
      sequence([
        encodeExtension(OID.keyUsage, true, namedBits(KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment | KEY_USAGE.keyCertSign)),
        encodeExtension(OID.basicConstraints, true, basicConstraints(true)),
        encodeExtension(OID.subjectKeyIdentifier, false, octetString(keyId)),
        encodeExtension(OID.authorityKeyIdentifier, false, sequence([implicitPrimitive(0, keyId)])),
        encodeExtension(OID.subjectAltName, false, sequence([implicitPrimitive(2, new TextEncoder().encode(commonName))])),
      ]),
    ),
  ]);
  const signature = await signer.sign(tbsDer);
  // The outer sequence is built around the exact bytes that were signed.
  return sequence([tbsDer, signatureAlgorithmDer(signer.algorithm), bitString(signature)]);
}

// Go encodes a CN as PrintableString when every character allows it, else UTF8String; kubeadm's CAs
// therefore carry PrintableString, and so do ours.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function directoryString(value: string): Uint8Array {
  return PRINTABLE.test(value) ? printableString(value) : utf8String(value);
}

/** The signer's SubjectPublicKeyInfo, checked to be one whole DER SEQUENCE before it is embedded. */
function spkiOf(publicKey: Uint8Array): Uint8Array {
  expectUniversal(wholeElement(publicKey, "the signer's public key"), TAG.sequence, "the signer's public key");
  return publicKey;
}
