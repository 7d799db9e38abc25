// Builds CSRs the way a kubelet does (client-go certificate manager): fresh key, CN/O, SANs, PEM.
// Modifiers change what an attacker would change. @peculiar/x509 is a dev dependency for tests.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";

x509.cryptoProvider.set(webcrypto as never);

export interface KubeletCsrOptions {
  cn?: string;
  o?: string[];
  dns?: string[];
  ips?: string[];
  emails?: string[];
  key?: "P-256" | "P-384" | "RSA-2048";
}

export async function kubeletCsrPem(opts: KubeletCsrOptions = {}): Promise<string> {
  const alg =
    opts.key === "RSA-2048"
      ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }
      : { name: "ECDSA", namedCurve: opts.key ?? "P-256", hash: opts.key === "P-384" ? "SHA-384" : "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(alg, false, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  // Go's pkix.Name puts O before CN; so does this.
  const subject = [...(opts.o ?? ["system:nodes"]).map((o) => `O=${o}`), `CN=${opts.cn ?? "system:node:cp-1"}`].join(", ");
  const names: x509.JsonGeneralName[] = [
    ...(opts.dns ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(opts.ips ?? []).map((value) => ({ type: "ip" as const, value })),
    ...(opts.emails ?? []).map((value) => ({ type: "email" as const, value })),
  ];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject,
    keys,
    signingAlgorithm: alg,
    extensions: names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  return csr.toString("pem") + "\n";
}

/** spec.request as JSON carries it: base64 of the PEM. */
export function requestField(pem: string): string {
  return Buffer.from(pem, "utf8").toString("base64");
}
