// Real PKCS#10 CSRs for tests, built from a default (P-256, CN only, no SANs) plus modifiers:
//   buildCsr(withCommonName("kube-apiserver"), withDnsNames("cp-1"), withIpAddresses("10.0.0.10"))
// Encoded with @peculiar/asn1-x509's typed classes and signed with node:crypto, independently of the
// code under test in src/pki. kubeadm's CSRs carry only CN and O plus a SAN extensionRequest; the
// other modifiers make the CSRs kubeca must refuse or report.
import { constants, createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { AsnArray, AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  Attribute,
  AttributeTypeAndValue,
  AttributeValue,
  Extension,
  Extensions,
  GeneralName,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
} from "@peculiar/asn1-x509";
import { oid, sequence, tlv } from "./der.js";

export type CsrKeyType = "P-256" | "P-384" | "RSA-2048" | "RSA-1024" | "Ed25519";

export interface BuiltCsr {
  readonly pem: string;
  readonly der: Uint8Array;
  readonly privateKey: KeyObject;
  /** The builder's own encodings of the parts, to compare with what a reader extracts. */
  readonly subjectDer: Uint8Array;
  readonly spkiDer: Uint8Array;
  readonly sanDer: Uint8Array | undefined;
}

/** One SAN, in encoded GeneralName form, so tests can add any type, including raw IP bytes. */
type SanEntry = ArrayBuffer;

export interface CsrSpec {
  key: CsrKeyType;
  /** A specific key; default is a cached one per key type (RSA generation is slow). */
  privateKey?: KeyObject;
  subject: SubjectEntry[];
  sans: SanEntry[];
  /** Requested as critical (kubeadm and openssl leave the flag out). */
  sanCritical: boolean;
  /** Further requested extensions, in the same extensionRequest as the SAN. */
  extensions: Extension[];
  /** A SubjectPublicKeyInfo other than the key's own, and how to sign over the request info for it. */
  spki?: { der: Uint8Array; sign: (info: Uint8Array) => Uint8Array };
  /** RSA only: sign with RSASSA-PSS instead of PKCS#1 v1.5. */
  pss?: { hash: "sha256" | "sha384"; saltLength: number };
  /** Override the digest (default: sha256, sha384 for P-384, none for Ed25519). */
  hash?: Digest;
  tamperSignature: boolean;
  /** Extra attributes in the request info, as encoded Attribute values (e.g. a second extensionRequest). */
  extraAttributes: Attribute[];
}

export type CsrModifier = (spec: CsrSpec) => void;

/** One subject attribute; `der` is its value's exact encoding, `sameRdn` puts it in the previous RDN. */
interface SubjectEntry {
  oid: string;
  value: string;
  der?: Uint8Array;
  sameRdn?: boolean;
}

type Digest = "sha1" | "sha256" | "sha384" | "sha512";

const CN = "2.5.4.3";
const O = "2.5.4.10";
export const SUBJECT_OIDS = { CN, O, OU: "2.5.4.11", C: "2.5.4.6", L: "2.5.4.7", ST: "2.5.4.8", SERIALNUMBER: "2.5.4.5" } as const;

export const withKey = (key: CsrKeyType, privateKey?: KeyObject): CsrModifier => (s) => {
  s.key = key;
  s.privateKey = privateKey;
};
export const withCommonName = (cn: string): CsrModifier => (s) => {
  s.subject = s.subject.filter((a) => a.oid !== CN);
  s.subject.unshift({ oid: CN, value: cn });
};
export const withoutSubject = (): CsrModifier => (s) => {
  s.subject = [];
};
export const withOrganizations = (...orgs: string[]): CsrModifier => (s) => {
  s.subject.push(...orgs.map((value) => ({ oid: O, value })));
};
export const withSubjectAttribute = (type: keyof typeof SUBJECT_OIDS, value: string): CsrModifier => (s) => {
  s.subject.push({ oid: SUBJECT_OIDS[type], value });
};
/** A subject attribute whose value is exactly these DER bytes (any string type, any tag encoding). */
export const withSubjectValueDer = (type: keyof typeof SUBJECT_OIDS, der: Uint8Array): CsrModifier => (s) => {
  s.subject.push({ oid: SUBJECT_OIDS[type], value: "", der });
};
/** An attribute in the same RDN as the one before it: a multi-valued RDN such as CN=a+O=b. */
export const withAttributeInSameRdn = (type: keyof typeof SUBJECT_OIDS, value: string): CsrModifier => (s) => {
  s.subject.push({ oid: SUBJECT_OIDS[type], value, sameRdn: true });
};
export const withSan = (...names: GeneralName[]): CsrModifier => (s) => {
  s.sans.push(...names.map((n) => AsnConvert.serialize(n)));
};
export const withDnsNames = (...names: string[]): CsrModifier => withSan(...names.map((dNSName) => new GeneralName({ dNSName })));
/** Dotted IPv4 or plain hex IPv6 text; use withRawIp for IPv4-mapped IPv6 and odd lengths. */
export const withIpAddresses = (...ips: string[]): CsrModifier => withSan(...ips.map((iPAddress) => new GeneralName({ iPAddress })));
export const withEmails = (...emails: string[]): CsrModifier => withSan(...emails.map((rfc822Name) => new GeneralName({ rfc822Name })));
export const withUris = (...uris: string[]): CsrModifier =>
  withSan(...uris.map((uniformResourceIdentifier) => new GeneralName({ uniformResourceIdentifier })));
/** An iPAddress GeneralName holding exactly these bytes. */
export const withRawIp = (bytes: number[]): CsrModifier => (s) => {
  s.sans.push(AsnConvert.serialize(new RawIpName(new OctetString(new Uint8Array(bytes)))));
};
/** A GeneralName given as its exact DER bytes (odd tags, control bytes, empty names). */
export const withRawGeneralName = (der: Uint8Array): CsrModifier => (s) => {
  s.sans.push(der.slice().buffer);
};
/** Asks for the SAN extension as critical. */
export const withCriticalSan = (): CsrModifier => (s) => {
  s.sanCritical = true;
};
/** Asks for another extension (BasicConstraints, KeyUsage…) next to the SAN. */
export const withRequestedExtension = (extension: Extension): CsrModifier => (s) => {
  s.extensions.push(extension);
};
/**
 * A SubjectPublicKeyInfo other than the key's own (a compressed point, an odd exponent…); `sign` makes
 * the signature over the request info, which is labelled with the algorithm of the spec's key type.
 */
export const withPublicKeyInfo = (der: Uint8Array, sign: (info: Uint8Array) => Uint8Array): CsrModifier => (s) => {
  s.spki = { der, sign };
};
/**
 * An RSA key nobody holds: a random odd 2048-bit modulus with this public exponent (big-endian bytes).
 * The "signature" is the bare PKCS#1 v1.5 encoding of the request info's SHA-256, which is what any
 * signature looks like under exponent 1: such a key proves nothing, and anyone can sign with it.
 */
export const withRawRsaKey = (exponent: readonly number[]): CsrModifier => (s) => {
  s.key = "RSA-2048";
  const modulus = randomBytes(256);
  modulus[0]! |= 0x80;
  modulus[255]! |= 0x01;
  const rsaPublicKey = sequence(tlv(0x02, new Uint8Array([0, ...modulus])), tlv(0x02, new Uint8Array(exponent)));
  const der = sequence(sequence(oid("1.2.840.113549.1.1.1"), tlv(0x05)), tlv(0x03, new Uint8Array([0]), rsaPublicKey));
  const sha256DigestInfo = Buffer.from("3031300d060960864801650304020105000420", "hex");
  s.spki = {
    der,
    sign: (info) => {
      const t = Buffer.concat([sha256DigestInfo, createHash("sha256").update(info).digest()]);
      return new Uint8Array(Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(256 - 3 - t.length, 0xff), Buffer.from([0]), t]));
    },
  };
};
export const withPss = (hash: "sha256" | "sha384" = "sha256"): CsrModifier => (s) => {
  s.pss = { hash, saltLength: hash === "sha256" ? 32 : 48 };
};
export const withHash = (hash: Digest): CsrModifier => (s) => {
  s.hash = hash;
};
export const withTamperedSignature = (): CsrModifier => (s) => {
  s.tamperSignature = true;
};
export const withAttribute = (attribute: Attribute): CsrModifier => (s) => {
  s.extraAttributes.push(attribute);
};

export function buildCsr(...modifiers: CsrModifier[]): BuiltCsr {
  const spec: CsrSpec = {
    key: "P-256",
    subject: [{ oid: CN, value: "kube-apiserver" }],
    sans: [],
    sanCritical: false,
    extensions: [],
    tamperSignature: false,
    extraAttributes: [],
  };
  for (const m of modifiers) m(spec);
  const privateKey = spec.privateKey ?? cachedKey(spec.key);

  const info = new CertificationRequestInfo();
  const rdns: AttributeTypeAndValue[][] = [];
  for (const a of spec.subject) {
    const value = a.der ? new AttributeValue({ anyValue: a.der.slice().buffer }) : directoryString(a.value);
    const atv = new AttributeTypeAndValue({ type: a.oid, value });
    if (a.sameRdn && rdns.length > 0) rdns[rdns.length - 1]!.push(atv);
    else rdns.push([atv]);
  }
  info.subject = new Name(rdns.map((atvs) => new RelativeDistinguishedName(atvs)));
  const spkiDer = spec.spki?.der ?? new Uint8Array(createPublicKey(privateKey).export({ type: "spki", format: "der" }));
  info.subjectPKInfo = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  const sanDer = spec.sans.length > 0 ? new Uint8Array(AsnConvert.serialize(new RawGeneralNames(spec.sans))) : undefined;
  const requested = [
    ...(sanDer ? [new Extension({ extnID: "2.5.29.17", critical: spec.sanCritical, extnValue: new OctetString(sanDer) })] : []),
    ...spec.extensions,
  ];
  if (requested.length > 0) {
    info.attributes.push(new Attribute({ type: "1.2.840.113549.1.9.14", values: [AsnConvert.serialize(new Extensions(requested))] }));
  }
  info.attributes.push(...spec.extraAttributes);
  const infoDer = new Uint8Array(AsnConvert.serialize(info));

  const signed = signInfo(spec, privateKey, infoDer);
  const algorithm = signed.algorithm;
  const signature = spec.spki ? spec.spki.sign(infoDer) : signed.signature;
  if (spec.tamperSignature) signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 0x01;
  const request = new CertificationRequest();
  request.info = infoDer.slice().buffer;
  request.signatureAlgorithm = algorithm;
  request.signature = signature.slice().buffer;
  const der = new Uint8Array(AsnConvert.serialize(request));
  return {
    der,
    pem: toPem("CERTIFICATE REQUEST", der),
    privateKey,
    subjectDer: new Uint8Array(AsnConvert.serialize(info.subject)),
    spkiDer,
    sanDer,
  };
}

/**
 * A CSR around request-info bytes written by hand (see der.ts), kept exactly as given: signed with the
 * key, digest and padding the modifiers choose, and wrapped without re-encoding.
 */
export function buildCsrFromInfo(infoDer: Uint8Array, ...modifiers: CsrModifier[]): { der: Uint8Array; pem: string } {
  const spec: CsrSpec = { key: "P-256", subject: [], sans: [], sanCritical: false, extensions: [], tamperSignature: false, extraAttributes: [] };
  for (const m of modifiers) m(spec);
  const { algorithm, signature } = signInfo(spec, spec.privateKey ?? cachedKey(spec.key), infoDer);
  const der = sequence(infoDer, new Uint8Array(AsnConvert.serialize(algorithm)), tlv(0x03, new Uint8Array([0]), signature));
  return { der, pem: toPem("CERTIFICATE REQUEST", der) };
}

/** The DER SubjectPublicKeyInfo of a key type's cached key (for request infos written by hand). */
export function spkiOf(type: CsrKeyType): Uint8Array {
  return new Uint8Array(createPublicKey(cachedKey(type)).export({ type: "spki", format: "der" }));
}

function signInfo(spec: CsrSpec, key: KeyObject, data: Uint8Array): { algorithm: AlgorithmIdentifier; signature: Uint8Array } {
  if (spec.key === "Ed25519") return { algorithm: new AlgorithmIdentifier({ algorithm: "1.3.101.112" }), signature: sign(null, data, key) };
  if (spec.key === "P-256" || spec.key === "P-384") {
    const hash = spec.hash ?? (spec.key === "P-384" ? "sha384" : "sha256");
    const oid = { sha1: "1.2.840.10045.4.1", sha256: "1.2.840.10045.4.3.2", sha384: "1.2.840.10045.4.3.3", sha512: "1.2.840.10045.4.3.4" }[hash];
    return { algorithm: new AlgorithmIdentifier({ algorithm: oid }), signature: sign(hash, data, key) };
  }
  if (spec.pss) {
    const { hash, saltLength } = spec.pss;
    const params = new PssParams();
    const hashOid = hash === "sha256" ? "2.16.840.1.101.3.4.2.1" : "2.16.840.1.101.3.4.2.2";
    params.hashAlgorithm = new AlgorithmIdentifier({ algorithm: hashOid, parameters: null });
    params.maskGenAlgorithm = new AlgorithmIdentifier({
      algorithm: "1.2.840.113549.1.1.8",
      parameters: AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: hashOid, parameters: null })),
    });
    params.saltLength = saltLength;
    return {
      algorithm: new AlgorithmIdentifier({ algorithm: "1.2.840.113549.1.1.10", parameters: AsnConvert.serialize(params) }),
      signature: sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }),
    };
  }
  const hash = spec.hash ?? "sha256";
  const oid = { sha1: "1.2.840.113549.1.1.5", sha256: "1.2.840.113549.1.1.11", sha384: "1.2.840.113549.1.1.12", sha512: "1.2.840.113549.1.1.13" }[hash];
  return { algorithm: new AlgorithmIdentifier({ algorithm: oid, parameters: null }), signature: sign(hash, data, key) };
}

const keys = new Map<CsrKeyType, KeyObject>();

/** One key per type for the whole test run; pass withKey(type, key) for a specific one. */
export function cachedKey(type: CsrKeyType): KeyObject {
  let key = keys.get(type);
  if (!key) {
    key = newKey(type);
    keys.set(type, key);
  }
  return key;
}

export function newKey(type: CsrKeyType): KeyObject {
  switch (type) {
    case "P-256":
      return generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    case "P-384":
      return generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey;
    case "RSA-2048":
      return generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    case "RSA-1024":
      return generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
    case "Ed25519":
      return generateKeyPairSync("ed25519").privateKey;
  }
}

export function toPem(label: string, der: Uint8Array): string {
  const lines = Buffer.from(der).toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

// Go and OpenSSL write PrintableString when the value allows it.
function directoryString(value: string): AttributeValue {
  return /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? new AttributeValue({ printableString: value }) : new AttributeValue({ utf8String: value });
}

// PKCS#10 (RFC 2986) structures. The request info is carried as raw bytes so the signed encoding is
// exactly the embedded one.
@AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })
class Attributes extends AsnArray<Attribute> {
  constructor(items?: Attribute[]) {
    super(items);
    Object.setPrototypeOf(this, Attributes.prototype);
  }
}

class CertificationRequestInfo {
  @AsnProp({ type: AsnPropTypes.Integer }) version = 0;
  @AsnProp({ type: Name }) subject = new Name();
  @AsnProp({ type: SubjectPublicKeyInfo }) subjectPKInfo = new SubjectPublicKeyInfo();
  @AsnProp({ type: Attributes, context: 0, implicit: true }) attributes = new Attributes();
}

class CertificationRequest {
  @AsnProp({ type: AsnPropTypes.Any }) info = new ArrayBuffer(0);
  @AsnProp({ type: AlgorithmIdentifier }) signatureAlgorithm = new AlgorithmIdentifier();
  @AsnProp({ type: AsnPropTypes.BitString }) signature = new ArrayBuffer(0);
}

class PssParams {
  @AsnProp({ type: AlgorithmIdentifier, context: 0 }) hashAlgorithm = new AlgorithmIdentifier();
  @AsnProp({ type: AlgorithmIdentifier, context: 1 }) maskGenAlgorithm = new AlgorithmIdentifier();
  @AsnProp({ type: AsnPropTypes.Integer, context: 2, defaultValue: 20 }) saltLength = 20;
}

@AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Any })
class RawGeneralNames extends AsnArray<ArrayBuffer> {
  constructor(items?: ArrayBuffer[]) {
    super(items);
    Object.setPrototypeOf(this, RawGeneralNames.prototype);
  }
}

@AsnType({ type: AsnTypeTypes.Choice })
class RawIpName {
  @AsnProp({ type: OctetString, context: 7, implicit: true }) iPAddress?: OctetString;
  constructor(ip?: OctetString) {
    this.iPAddress = ip;
  }
}
