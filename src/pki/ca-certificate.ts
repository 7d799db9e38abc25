// CA certificates: reading the one a CA signs under (once, at start) and creating a self-signed one
// exactly like kubeadm's (spec §1.1), signed through a Signer so it works with a KMS key.
import { createHash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from "@peculiar/asn1-x509";
import { OctetString } from "@peculiar/asn1-schema";
import { KubecaError } from "../errors/index.js";
import type { Signer } from "../signers/signer.js";
import { childrenOf, DerError, expectUniversal, isContext, readElement, readSmallInteger, TAG, type DerElement } from "./der-reader.js";
import { bitString, sequence } from "./der-writer.js";
import { decodeName, nameText } from "./distinguished-name.js";
import { subjectKeyIdentifier } from "./key-identifier.js";
import { OID } from "./oids.js";
import { decodeBase64, encodePem, findPemBlocks, looksLikePem, PemError } from "./pem.js";
import { serialIntegerContents, serialValue } from "./serial.js";
import { signatureAlgorithmDer, signatureAlgorithmIdentifier } from "./signature-algorithm.js";
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
  const validity = AsnConvert.parse(slice(der, validityEl), Validity);
  const extensions = extensionsEl ? readExtensions(der, extensionsEl) : new Map<string, Extension>();

  const bc = extensions.get(OID.basicConstraints);
  if (!bc || !AsnConvert.parse(bc.extnValue.buffer, BasicConstraints).cA) {
    invalid(`${subjectText} is not a CA certificate (BasicConstraints CA:TRUE is missing); use the CA's certificate, not a leaf`);
  }
  const ku = extensions.get(OID.keyUsage);
  if (ku && (AsnConvert.parse(ku.extnValue.buffer, KeyUsage).toNumber() & KeyUsageFlags.keyCertSign) === 0) {
    invalid(`${subjectText} has a KeyUsage without keyCertSign, so it may not sign certificates`);
  }
  const ski = extensions.get(OID.subjectKeyIdentifier);
  if (!ski) invalid(`${subjectText} has no Subject Key Identifier; leaves need it for their Authority Key Identifier`);
  const subjectKeyId = new Uint8Array(AsnConvert.parse(ski.extnValue.buffer, SubjectKeyIdentifier).buffer);
  if (subjectKeyId.length === 0) invalid(`${subjectText} has an empty Subject Key Identifier`);

  const copy = new Uint8Array(der); // the info outlives the caller's buffer
  return Object.freeze({
    der: copy,
    pem: encodePem("CERTIFICATE", copy),
    subjectDer: copy.subarray(subjectEl.start, subjectEl.end),
    subjectText,
    subjectKeyId,
    spkiDer: copy.subarray(spkiEl.start, spkiEl.end),
    notBefore: validity.notBefore.getTime(),
    notAfter: validity.notAfter.getTime(),
    sha256: createHash("sha256").update(copy).digest("hex"),
  });
}

function readExtensions(der: Uint8Array, wrapper: DerElement): Map<string, Extension> {
  const list = readElement(der, wrapper.contentStart, wrapper.end, "the extensions");
  const map = new Map<string, Extension>();
  for (const ext of AsnConvert.parse(slice(der, list), Extensions)) {
    if (map.has(ext.extnID)) throw new DerError(`extension ${ext.extnID} appears twice`);
    map.set(ext.extnID, ext);
  }
  return map;
}

function slice(der: Uint8Array, el: DerElement): ArrayBuffer {
  return der.slice(el.start, el.end).buffer;
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
  const name = new Name([
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type: OID.commonName, value: directoryString(commonName) })]),
  ]);
  const extension = (extnID: string, critical: boolean, value: unknown) =>
    new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(serialIntegerContents(serialValue(options.serial))),
    signature: signatureAlgorithmIdentifier(signer.algorithm),
    issuer: name,
    validity: new Validity({ notBefore: options.notBefore, notAfter: options.notAfter }),
    subject: name,
    subjectPublicKeyInfo: AsnConvert.parse(signer.publicKey, SubjectPublicKeyInfo),
    extensions: new Extensions([
      extension(
        OID.keyUsage,
        true,
        new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment | KeyUsageFlags.keyCertSign),
      ),
      extension(OID.basicConstraints, true, new BasicConstraints({ cA: true })),
      extension(OID.subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyId)),
      extension(OID.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyId) })),
      extension(OID.subjectAltName, false, new SubjectAlternativeName([new GeneralName({ dNSName: commonName })])),
    ]),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = await signer.sign(tbsDer);
  // The outer sequence is built around the exact bytes that were signed.
  return sequence([tbsDer, signatureAlgorithmDer(signer.algorithm), bitString(signature)]);
}

// Go encodes a CN as PrintableString when every character allows it, else UTF8String; kubeadm's CAs
// therefore carry PrintableString, and so do ours.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function directoryString(value: string): AttributeValue {
  return PRINTABLE.test(value) ? new AttributeValue({ printableString: value }) : new AttributeValue({ utf8String: value });
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}
