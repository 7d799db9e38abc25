// A CA certificate read with @peculiar/x509, an X.509 implementation independent of the encoder that
// made it (pki/ca-certificate.ts): what `kubeca ca show` prints, and what `ca init` checks before it
// writes a certificate. Off the request path (see peculiar-x509.ts).
import { x509 } from "./peculiar-x509.js";
import { OID } from "./oids.js";

export interface CaInspection {
  readonly subject: string;
  readonly issuer: string;
  /** `ECDSA P-256`, `ECDSA P-384`, `RSA 2048`, … */
  readonly keyType: string;
  /** Uppercase hex pairs separated by colons, as openssl prints them. */
  readonly sha256Fingerprint: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly isCA: boolean;
  /** Issuer equals subject and the signature verifies with the certificate's own public key. */
  readonly selfSigned: boolean;
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  /** KeyUsage bits by name, e.g. [digitalSignature, keyEncipherment, keyCertSign]. */
  readonly keyUsage: readonly string[];
  readonly dnsNames: readonly string[];
  /** OIDs of the extensions marked critical. */
  readonly critical: readonly string[];
}

const KEY_USAGE_NAMES: readonly [number, string][] = [
  [x509.KeyUsageFlags.digitalSignature, "digitalSignature"],
  [x509.KeyUsageFlags.nonRepudiation, "nonRepudiation"],
  [x509.KeyUsageFlags.keyEncipherment, "keyEncipherment"],
  [x509.KeyUsageFlags.dataEncipherment, "dataEncipherment"],
  [x509.KeyUsageFlags.keyAgreement, "keyAgreement"],
  [x509.KeyUsageFlags.keyCertSign, "keyCertSign"],
  [x509.KeyUsageFlags.cRLSign, "cRLSign"],
  [x509.KeyUsageFlags.encipherOnly, "encipherOnly"],
  [x509.KeyUsageFlags.decipherOnly, "decipherOnly"],
];

const CURVES: Record<string, string> = { "P-256": "P-256", "P-384": "P-384", "P-521": "P-521" };

function keyTypeOf(algorithm: { name: string; namedCurve?: string; modulusLength?: number }): string {
  if (algorithm.name === "ECDSA") return `ECDSA ${CURVES[algorithm.namedCurve ?? ""] ?? algorithm.namedCurve}`;
  if (algorithm.name.startsWith("RSA")) return `RSA ${algorithm.modulusLength}`;
  return algorithm.name;
}

const hex = (buffer: ArrayBuffer) => Buffer.from(buffer).toString("hex");

export async function inspectCaCertificate(der: Uint8Array): Promise<CaInspection> {
  const cert = new x509.X509Certificate(der);
  // getExtension takes the OID string; passing the class returns null.
  const basic = cert.getExtension<x509.BasicConstraintsExtension>(OID.basicConstraints);
  const usage = cert.getExtension<x509.KeyUsagesExtension>(OID.keyUsage);
  const ski = cert.getExtension<x509.SubjectKeyIdentifierExtension>(OID.subjectKeyIdentifier);
  const aki = cert.getExtension<x509.AuthorityKeyIdentifierExtension>(OID.authorityKeyIdentifier);
  const san = cert.getExtension<x509.SubjectAlternativeNameExtension>(OID.subjectAltName);
  const fingerprint = hex(await cert.getThumbprint("SHA-256")).toUpperCase();
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    keyType: keyTypeOf(cert.publicKey.algorithm),
    sha256Fingerprint: fingerprint.match(/../g)!.join(":"),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    isCA: basic?.ca ?? false,
    selfSigned: await cert.isSelfSigned(),
    subjectKeyId: ski?.keyId,
    authorityKeyId: aki?.keyId,
    keyUsage: usage ? KEY_USAGE_NAMES.filter(([bit]) => (usage.usages & bit) !== 0).map(([, name]) => name) : [],
    dnsNames: san ? san.names.items.filter((n) => n.type === "dns").map((n) => n.value) : [],
    critical: [...cert.extensions].filter((e) => e.critical).map((e) => e.type),
  };
}

/**
 * How a certificate differs from the CA kubeadm would have made with this common name (spec §1.1):
 * subject and issuer CN only, self-signed, CA:TRUE and KeyUsage both critical, digitalSignature,
 * keyEncipherment and keyCertSign, SKI = AKI, the CN as its one DNS SAN. Empty when it does not.
 */
export function kubeadmCaDifferences(ca: CaInspection, commonName: string): string[] {
  const differences: string[] = [];
  const expect = (ok: boolean, what: string) => ok || differences.push(what);
  expect(ca.subject === `CN=${commonName}` && ca.issuer === ca.subject, `subject and issuer must be CN=${commonName}, not ${ca.subject} / ${ca.issuer}`);
  expect(ca.selfSigned, "the signature does not verify with the certificate's own public key");
  expect(ca.isCA, "BasicConstraints CA:TRUE is missing");
  expect(
    [OID.basicConstraints, OID.keyUsage].every((oid) => ca.critical.includes(oid)),
    "BasicConstraints and KeyUsage must be critical",
  );
  expect(ca.keyUsage.join(",") === "digitalSignature,keyEncipherment,keyCertSign", `KeyUsage is [${ca.keyUsage.join(", ")}]`);
  expect(ca.subjectKeyId !== undefined && ca.subjectKeyId === ca.authorityKeyId, "the Subject and Authority Key Identifiers must be present and equal");
  expect(ca.dnsNames.join(",") === commonName, `the DNS SANs are [${ca.dnsNames.join(", ")}], not [${commonName}]`);
  return differences;
}
