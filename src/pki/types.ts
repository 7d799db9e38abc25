// Shapes shared by the CSR reader and the certificate builder. pki/ knows nothing about kubeadm,
// HTTP or KMS.

/** The public key of a CSR or certificate, as policy needs to judge it. */
export type KeyAlgorithm =
  | { readonly type: "ec"; readonly curve: "P-256" | "P-384" | "P-521" | string }
  | { readonly type: "rsa"; readonly bits: number }
  | { readonly type: "ed25519" }
  | { readonly type: "unknown"; readonly oid: string };

/** A subject attribute other than CN and O, or a SAN of a type other than DNS and IP. Policy refuses them. */
export interface ForeignName {
  /** e.g. `OU`, `C`, `2.5.4.5` for subject attributes; `email`, `uri`, `otherName`, `dirName` for SANs. */
  readonly type: string;
  readonly value: string;
}

/**
 * A CSR whose self-signature has been verified. The raw encodings are kept so the certificate embeds
 * exactly what was requested and validated, with no re-encoding.
 */
export interface ParsedCsr {
  /** The whole CSR, DER. */
  readonly der: Uint8Array;
  /** SHA-256 of `der`, lowercase hex. */
  readonly sha256: string;
  /** Subject CommonName values (normally one). */
  readonly commonNames: readonly string[];
  /** Subject Organization values, in order. */
  readonly organizations: readonly string[];
  /** Subject attributes other than CN and O. */
  readonly otherSubjectAttributes: readonly ForeignName[];
  /** The subject Name, DER, exactly as in the CSR. */
  readonly subjectDer: Uint8Array;
  /** True when the subject has no attributes at all. */
  readonly subjectEmpty: boolean;
  /** SubjectPublicKeyInfo, DER, exactly as in the CSR. */
  readonly spkiDer: Uint8Array;
  /** SHA-256 of `spkiDer`, lowercase hex. */
  readonly publicKeySha256: string;
  readonly keyAlgorithm: KeyAlgorithm;
  /** DNS SANs as written in the CSR (not normalised). */
  readonly dnsNames: readonly string[];
  /** IP SANs in canonical text form: dotted quad for 4-byte, RFC 5952 for 16-byte (mapped stays mapped). */
  readonly ipAddresses: readonly string[];
  /** SANs of any other type (email, URI, ...). */
  readonly otherNames: readonly ForeignName[];
  /** The GeneralNames SEQUENCE of the SAN extension, DER, or undefined when there is none. */
  readonly sanDer: Uint8Array | undefined;
}

/** The parts of a CA certificate a leaf needs, computed once at start. */
export interface CaCertificateInfo {
  readonly der: Uint8Array;
  readonly pem: string;
  /** Subject Name DER: becomes the leaf's issuer. */
  readonly subjectDer: Uint8Array;
  readonly subjectText: string;
  /** Subject Key Identifier: becomes the leaf's AKI. */
  readonly subjectKeyId: Uint8Array;
  readonly spkiDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of `der`, lowercase hex. */
  readonly sha256: string;
}

/** Extended key usages kubeadm's leaves carry (spec §1.2, §1.4). */
export type ExtKeyUsageName = "serverAuth" | "clientAuth";

/**
 * A profile's constant extensions, each a complete Extension DER, encoded once by
 * compileLeafExtensions and reused for every certificate of that profile.
 */
export interface LeafExtensions {
  readonly extKeyUsage: readonly ExtKeyUsageName[];
  /** BasicConstraints CA:FALSE, critical. */
  readonly basicConstraints: Uint8Array;
  /** KeyUsage digitalSignature | keyEncipherment (kubeadm's), or digitalSignature alone; critical. */
  readonly keyUsage: Uint8Array;
  /** ExtendedKeyUsage, not critical. */
  readonly extKeyUsageDer: Uint8Array;
}

export interface IssueRequest {
  readonly csr: ParsedCsr;
  readonly extensions: LeafExtensions;
  /** Positive serial, big-endian (see randomSerial). */
  readonly serial: Uint8Array;
  readonly now: Date;
  readonly validitySeconds: number;
}

export interface IssuedCertificate {
  readonly der: Uint8Array;
  readonly pem: string;
  /** Lowercase hex, no leading zeros. */
  readonly serialHex: string;
  /** Exactly as encoded (whole seconds). */
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of `der`, lowercase hex. */
  readonly sha256: string;
}

export interface LeafIssuer {
  readonly ca: CaCertificateInfo;
  issue(request: IssueRequest): Promise<IssuedCertificate>;
}
