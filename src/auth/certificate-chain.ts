// Is a presented certificate a leaf that one of this service's CAs issued, and valid now? The service
// holds its CA certificates itself (they are the trust anchors), so the chain is one link: the x5c's
// further certificates, if any, are never trusted. node:crypto does the X.509 work.
import type { X509Certificate } from "node:crypto";
import type { CaName } from "../config/index.js";
import { KubecaError } from "../errors/index.js";

export interface TrustAnchor {
  readonly name: CaName;
  readonly certificate: X509Certificate;
}

function refuse(detail: string): KubecaError {
  return new KubecaError("KUBECA_UNAUTHENTICATED", detail);
}

/** `CN=system:node:cp-1, O=system:nodes (serial 1A2B)`, bounded: a foreign subject is anyone's text. */
export function describeCertificate(cert: X509Certificate): string {
  return `${oneLine(cert.subject)} (serial ${cert.serialNumber.slice(0, 40)})`;
}

export function oneLine(name: string): string {
  const text = name.split("\n").join(", ");
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

/** The anchor that issued `leaf`; refuses CA certificates, foreign issuers and certificates not valid at `now`. */
export function issuingAnchor(leaf: X509Certificate, anchors: readonly TrustAnchor[], now: Date): TrustAnchor {
  const what = describeCertificate(leaf);
  // A CA certificate (kubeca's own, or any other) is never a node's identity, even when it chains.
  if (leaf.ca) throw refuse(`the proof's certificate ${what} is a CA certificate; sign with the node's own certificate`);
  // checkIssued compares the issuer name and key identifiers; verify checks the CA's signature.
  const anchor = anchors.find((a) => leaf.checkIssued(a.certificate) && leaf.verify(a.certificate.publicKey));
  if (!anchor) {
    throw refuse(
      `the proof's certificate ${what} was not issued by this service's CAs (${anchors.map((a) => a.name).join(", ")}); its issuer is ${oneLine(leaf.issuer)}`,
    );
  }
  const notBefore = new Date(Date.parse(leaf.validFrom));
  const notAfter = new Date(Date.parse(leaf.validTo));
  if (now < notBefore) throw refuse(`the proof's certificate ${what} is not valid before ${notBefore.toISOString()}`);
  if (now > notAfter) {
    throw refuse(`the proof's certificate ${what} expired at ${notAfter.toISOString()}; an expired certificate proves nothing (renew with a token)`);
  }
  return anchor;
}
