// The subject of an X.509 certificate, decoded from its DER. node:crypto's X509Certificate gives the
// subject only as OpenSSL's text, whose escaping differs between versions; an identity decision reads
// the attributes themselves.
import { childrenOf, DerError, expectUniversal, isContext, readElement, TAG } from "./der-reader.js";
import { decodeName, type NameAttribute } from "./distinguished-name.js";

export type { NameAttribute } from "./distinguished-name.js";

/** The subject's attributes in encoding order. Throws DerError when the bytes are not a certificate. */
export function readCertificateSubject(der: Uint8Array): NameAttribute[] {
  const cert = readElement(der, 0, der.length, "the certificate");
  expectUniversal(cert, TAG.sequence, "the certificate");
  if (cert.end !== der.length) throw new DerError(`${der.length - cert.end} bytes follow the certificate`);
  const [tbs] = childrenOf(der, cert, "the certificate");
  if (!tbs) throw new DerError("the certificate is empty");
  expectUniversal(tbs, TAG.sequence, "the TBSCertificate");
  const fields = childrenOf(der, tbs, "the TBSCertificate");
  // version [0] is optional (absent in v1); then serial, signature, issuer, validity, subject.
  const offset = fields[0] && isContext(fields[0], 0) ? 1 : 0;
  const subject = fields[offset + 4];
  if (!subject) throw new DerError("the TBSCertificate has no subject");
  return decodeName(der, subject, "the subject");
}
