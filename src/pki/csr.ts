// Reading a PKCS#10 CSR (RFC 2986) as bytes: locate the request info, subject, public key and SAN
// extension with a lazy DER walk, check the self-signature over the raw request-info bytes, and keep
// the subject, SPKI and SAN encodings as subarrays so the certificate embeds exactly what was verified.
import { hash } from "node:crypto";
import { KubecaError } from "../errors/index.js";
import { readSignatureScheme, verifyCsrSignature } from "./csr-signature.js";
import { childrenOf, DerError, expectUniversal, isContext, readBoolean, readElement, readOid, readSmallInteger, readWholeBitString, TAG, type DerElement } from "./der-reader.js";
import { decodeName, type NameAttribute } from "./distinguished-name.js";
import { decodeGeneralNames, type SubjectAltNames } from "./general-names.js";
import { OID } from "./oids.js";
import { decodeBase64, findPemBlocks, looksLikePem, PemError } from "./pem.js";
import { readPublicKey } from "./public-key.js";
import type { ForeignName, ParsedCsr } from "./types.js";

const CSR_LABELS = new Set(["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]);

function malformed(detail: string): never {
  throw new KubecaError("KUBECA_CSR_MALFORMED", detail);
}

/**
 * Parses and verifies a CSR: a string is PEM (one CERTIFICATE REQUEST block) or base64 DER; bytes are
 * DER. Throws KubecaError KUBECA_CSR_MALFORMED or KUBECA_CSR_SIGNATURE_INVALID with a detail that says
 * what is wrong. Subject attributes and SAN types that policy refuses are reported, not thrown.
 */
export function parseCsr(input: string | Uint8Array): ParsedCsr {
  const der = typeof input === "string" ? derFromText(input) : input;
  try {
    return parseDer(der);
  } catch (e) {
    if (e instanceof DerError) malformed(`the CSR is not a valid PKCS#10 request: ${e.message}`);
    throw e;
  }
}

function derFromText(text: string): Uint8Array {
  if (text.trim() === "") malformed("the CSR is empty");
  try {
    if (!looksLikePem(text)) return decodeBase64(text, "the CSR (neither PEM nor base64 DER)");
    return derFromPem(text);
  } catch (e) {
    if (e instanceof PemError) malformed(e.message);
    throw e;
  }
}

function derFromPem(text: string): Uint8Array {
  const blocks = findPemBlocks(text);
  // Checked first and reported alone: a private key must not travel, whatever else came with it.
  const key = blocks.find((b) => b.label.includes("PRIVATE KEY"));
  if (key) malformed(`this contains a private key (${key.label} block); never send a private key, send only the .csr file`);
  if (blocks.length === 0) malformed("found no complete PEM block; a CSR is -----BEGIN CERTIFICATE REQUEST----- … -----END CERTIFICATE REQUEST-----");
  if (blocks.length > 1) malformed(`found ${blocks.length} PEM blocks; send one CSR per item`);
  const block = blocks[0]!;
  if (block.label === "CERTIFICATE") malformed("this is a CERTIFICATE, not a CERTIFICATE REQUEST");
  if (!CSR_LABELS.has(block.label)) malformed(`this is a ${block.label} PEM block, not a CERTIFICATE REQUEST`);
  const outside = text.slice(0, block.start).trim().length + text.slice(block.end).trim().length;
  if (outside > 0) {
    malformed(`found ${outside} characters of text outside the PEM block; send the CERTIFICATE REQUEST block alone`);
  }
  return decodeBase64(block.body, "the PEM block's body");
}

function parseDer(der: Uint8Array): ParsedCsr {
  if (der.length === 0) malformed("the CSR is empty");
  if (der[0] === 0x2d) malformed("these bytes are PEM text; pass PEM as a string, DER as bytes");
  const top = readElement(der, 0, der.length, "the CSR");
  expectUniversal(top, TAG.sequence, "the CSR");
  if (top.end !== der.length) {
    const n = der.length - top.end;
    malformed(`${n} byte${n === 1 ? "" : "s"} follow the CSR; send exactly one DER CSR`);
  }
  const parts = childrenOf(der, top, "the CSR");
  const [infoEl, algEl, sigEl] = parts;
  if (parts.length !== 3 || !infoEl || !algEl || !sigEl) {
    throw new DerError(`it has ${parts.length} top-level fields; PKCS#10 has 3 (request info, signature algorithm, signature)`);
  }

  expectUniversal(infoEl, TAG.sequence, "the request info");
  const info = childrenOf(der, infoEl, "the request info");
  const [versionEl, subjectEl, spkiEl, attributesEl] = info;
  if (!versionEl || !subjectEl || !spkiEl || info.length > 4) {
    throw new DerError("the request info should hold a version, subject, public key and attributes");
  }
  const version = readSmallInteger(versionEl, "the version");
  if (version !== 0) throw new DerError(`the version is ${version}; PKCS#10 defines only 0 (v1)`);

  const subject = decodeSubject(der, subjectEl);
  const publicKey = readPublicKey(der, spkiEl);
  const san = attributesEl ? findSanExtension(der, attributesEl) : undefined;
  const names: SubjectAltNames = san ? decodeGeneralNames(der, san) : { dnsNames: [], ipAddresses: [], otherNames: [] };

  const scheme = readSignatureScheme(der, algEl);
  const signature = readWholeBitString(der, sigEl, "the signature");
  verifyCsrSignature(scheme, publicKey.algorithm, publicKey.key, der.subarray(infoEl.start, infoEl.end), signature);

  const spkiDer = der.subarray(spkiEl.start, spkiEl.end);
  return {
    der,
    sha256: sha256Hex(der),
    commonNames: subject.commonNames,
    organizations: subject.organizations,
    otherSubjectAttributes: subject.others,
    subjectDer: der.subarray(subjectEl.start, subjectEl.end),
    subjectEmpty: subjectEl.end === subjectEl.contentStart,
    spkiDer,
    publicKeySha256: sha256Hex(spkiDer),
    keyAlgorithm: publicKey.algorithm,
    dnsNames: names.dnsNames,
    ipAddresses: names.ipAddresses,
    otherNames: names.otherNames,
    sanDer: san ? der.subarray(san.start, san.end) : undefined,
  };
}

// What kubeadm (Go) and openssl write for CN and O. Other string types decode to the same text, but Go's
// crypto/x509 cannot read some of them (UniversalString, VisibleString), so policy would approve a
// subject the certificate's users cannot read. PrintableString's characters (X.680 §41.4) are checked
// too: Go refuses a PrintableString holding any other.
const PRINTABLE_STRING = 19;
const UTF8_STRING = 12;
const STRING_TYPES: Readonly<Record<number, string>> = {
  12: "UTF8String", 18: "NumericString", 19: "PrintableString", 20: "TeletexString", 22: "IA5String",
  26: "VisibleString", 28: "UniversalString", 30: "BMPString",
};
const NOT_PRINTABLE = /[^A-Za-z0-9 '()+,\-./:=?]/;

function assertKubeadmString(attr: NameAttribute): void {
  const what = `the subject ${attr.type}`;
  if (!attr.isString) throw new DerError(`${what} is not a string`);
  if (attr.tag !== PRINTABLE_STRING && attr.tag !== UTF8_STRING) {
    throw new DerError(`${what} is a ${STRING_TYPES[attr.tag] ?? `string of tag ${attr.tag}`}; kubeca reads CN and O only as PrintableString or UTF8String, as kubeadm and openssl write them`);
  }
  const bad = attr.tag === PRINTABLE_STRING ? NOT_PRINTABLE.exec(attr.value)?.[0] : undefined;
  if (bad !== undefined) {
    throw new DerError(`${what} ${JSON.stringify(attr.value)} is a PrintableString holding ${JSON.stringify(bad)}, which that type does not allow`);
  }
}

/** kubeadm writes a CN and at most two O; the bound keeps policy's one-violation-per-attribute small. */
const MAX_SUBJECT_ATTRIBUTES = 64;

function decodeSubject(der: Uint8Array, subjectEl: DerElement) {
  const commonNames: string[] = [];
  const organizations: string[] = [];
  const others: ForeignName[] = [];
  const attributes = decodeName(der, subjectEl, "the subject");
  if (attributes.length > MAX_SUBJECT_ATTRIBUTES) {
    throw new DerError(`the subject has ${attributes.length} attributes; kubeca reads at most ${MAX_SUBJECT_ATTRIBUTES}`);
  }
  for (const attr of attributes) {
    const isCn = attr.oid === OID.commonName;
    if (isCn || attr.oid === OID.organization) assertKubeadmString(attr);
    if (isCn) commonNames.push(attr.value);
    else if (attr.oid === OID.organization) organizations.push(attr.value);
    else others.push({ type: attr.type, value: attr.value });
  }
  return { commonNames, organizations, others };
}

/** The GeneralNames SEQUENCE of the SAN extension in the extensionRequest attribute, if any. */
function findSanExtension(der: Uint8Array, attributesEl: DerElement): DerElement | undefined {
  if (!isContext(attributesEl, 0) || !attributesEl.constructed) throw new DerError("the attributes field should be [0] SET OF Attribute");
  let extensions: DerElement | undefined;
  for (const attr of childrenOf(der, attributesEl, "the attributes")) {
    expectUniversal(attr, TAG.sequence, "an attribute");
    const [typeEl, valuesEl, extra] = childrenOf(der, attr, "an attribute");
    if (!typeEl || !valuesEl || extra) throw new DerError("an attribute should have a type and a set of values");
    const type = readOid(typeEl, "an attribute type");
    expectUniversal(valuesEl, TAG.set, `the ${type} attribute values`);
    if (type !== OID.extensionRequest) continue; // challengePassword and the like: not ours to judge
    if (extensions) throw new DerError("it has two extensionRequest attributes");
    const values = childrenOf(der, valuesEl, "the extensionRequest values");
    if (values.length !== 1 || !values[0]) throw new DerError(`the extensionRequest attribute has ${values.length} values; it must have 1`);
    extensions = expectUniversal(values[0], TAG.sequence, "the requested extensions");
  }
  if (!extensions) return undefined;

  // Only the SAN is taken from the request; the profile decides every other extension. Duplicates are
  // still refused, since RFC 5280 forbids them and they would make "the SAN" ambiguous.
  const seen = new Set<string>();
  let san: DerElement | undefined;
  for (const ext of childrenOf(der, extensions, "the requested extensions")) {
    expectUniversal(ext, TAG.sequence, "a requested extension");
    const fields = childrenOf(der, ext, "a requested extension");
    const idEl = fields[0];
    const valueEl = fields[fields.length - 1];
    if (!idEl || !valueEl || fields.length < 2 || fields.length > 3) throw new DerError("a requested extension is malformed");
    const id = readOid(idEl, "a requested extension id");
    if (fields[2]) readBoolean(fields[1]!, `the critical flag of requested extension ${id}`);
    if (seen.has(id)) throw new DerError(`the extension request lists ${id} twice`);
    seen.add(id);
    expectUniversal(valueEl, TAG.octetString, `the value of requested extension ${id}`);
    if (id !== OID.subjectAltName) continue;
    san = readElement(der, valueEl.contentStart, valueEl.end, "the SAN extension");
    if (san.end !== valueEl.end) throw new DerError("the SAN extension has bytes after its GeneralNames");
  }
  return san;
}

function sha256Hex(bytes: Uint8Array): string {
  return hash("sha256", bytes, "hex");
}
