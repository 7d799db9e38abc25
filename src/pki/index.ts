// What other layers use from pki/. No side effects.
export { parseCsr } from "./csr.js";
export { readCaCertificate, createCaCertificate, type CreateCaCertificateOptions } from "./ca-certificate.js";
export { readCertificateSubject, type NameAttribute } from "./certificate-subject.js";
export { compileLeafExtensions } from "./extensions.js";
export { createLeafIssuer, BACKDATE_MS } from "./leaf-issuer.js";
export { canonicalIp, ipBytes, isWildcard, normalizeDnsName } from "./names.js";
export { randomSerial } from "./serial.js";
export { signatureAlgorithmDer } from "./signature-algorithm.js";
export { encodePem } from "./pem.js";
export type {
  CaCertificateInfo,
  ExtKeyUsageName,
  ForeignName,
  IssuedCertificate,
  IssueRequest,
  KeyAlgorithm,
  LeafExtensions,
  LeafIssuer,
  ParsedCsr,
} from "./types.js";
