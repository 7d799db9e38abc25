// Subject Key Identifier as Go's x509.CreateCertificate computes it (and RFC 5280 §4.2.1.2 method 1):
// SHA-1 of the subjectPublicKey BIT STRING's bytes, without tag, length or unused-bits octet.
import { hash } from "node:crypto";
import { childrenOf, DerError, expectUniversal, readElement, readWholeBitString, TAG } from "./der-reader.js";

export function subjectKeyIdentifier(spkiDer: Uint8Array): Uint8Array {
  const spki = readElement(spkiDer, 0, spkiDer.length, "the public key");
  if (spki.end !== spkiDer.length) throw new DerError("the public key has trailing bytes");
  expectUniversal(spki, TAG.sequence, "the public key");
  const keyEl = childrenOf(spkiDer, spki, "the public key")[1];
  if (!keyEl) throw new DerError("the public key has no key bits");
  return new Uint8Array(hash("sha1", readWholeBitString(spkiDer, keyEl, "the public key bits"), "buffer"));
}
