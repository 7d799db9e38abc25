// Certificates with exact dates for status fixtures, made with @peculiar/x509 (a dev dependency) so the
// code under test does not make its own fixtures. Only the dates and the CA flag matter to status.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
x509.cryptoProvider.set(webcrypto as never);

let keys: Promise<webcrypto.CryptoKeyPair> | undefined;
function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  keys ??= webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]) as Promise<webcrypto.CryptoKeyPair>;
  return keys;
}

let serial = 1;

/** A PEM certificate valid from `notBefore` to `notAfter`; `ca` makes it a CA certificate. */
export async function datedCertificate(commonName: string, notBefore: Date, notAfter: Date, ca = false): Promise<string> {
  const k = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: (serial++).toString(16).padStart(2, "0"),
    name: `CN=${commonName}`,
    notBefore,
    notAfter,
    keys: k,
    signingAlgorithm: algorithm,
    extensions: [new x509.BasicConstraintsExtension(ca, undefined, true)],
  });
  return cert.toString("pem") + "\n";
}
