// CAs for pki tests: a memory signer per algorithm and its kubeadm-style certificate, at a pinned time.
import { createPublicKey } from "node:crypto";
import { createHash } from "node:crypto";
import { createCaCertificate, readCaCertificate, type CaCertificateInfo } from "../../src/pki/index.js";
import type { KeyAlgorithmName } from "../../src/config/index.js";
import { createMemorySigner, type MemorySigner } from "../../src/signers/memory.js";

/** A pinned "now" with milliseconds, to show they are dropped. */
export const NOW = new Date("2026-11-27T10:00:00.250Z");
export const NOW_S = new Date("2026-11-27T10:00:00Z");
export const HOUR = 3600_000;
export const YEAR_S = 365 * 86400;

export interface SignerCase {
  readonly label: string;
  readonly algorithm: KeyAlgorithmName;
  readonly rsaPadding: "pkcs1" | "pss";
  /** What openssl -text prints as the signature algorithm. */
  readonly opensslName: string;
}

export const SIGNER_CASES: readonly SignerCase[] = [
  { label: "P-256", algorithm: "ECDSA-P256", rsaPadding: "pkcs1", opensslName: "ecdsa-with-SHA256" },
  { label: "P-384", algorithm: "ECDSA-P384", rsaPadding: "pkcs1", opensslName: "ecdsa-with-SHA384" },
  { label: "RSA-2048 PKCS#1 v1.5", algorithm: "RSA-2048", rsaPadding: "pkcs1", opensslName: "sha256WithRSAEncryption" },
  { label: "RSA-2048 PSS", algorithm: "RSA-2048", rsaPadding: "pss", opensslName: "rsassaPss" },
];

const signers = new Map<string, MemorySigner>();

/** One signer per case for the whole file (RSA key generation is slow). */
export function signerFor(c: SignerCase): MemorySigner {
  let s = signers.get(c.label);
  if (!s) {
    s = createMemorySigner(c.algorithm, { rsaPadding: c.rsaPadding });
    signers.set(c.label, s);
  }
  return s;
}

export const CA_SERIAL = new Uint8Array([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);

export async function makeCa(
  signer: MemorySigner,
  options: { commonName?: string; notBefore?: Date; notAfter?: Date } = {},
): Promise<{ der: Uint8Array; info: CaCertificateInfo }> {
  const der = await createCaCertificate({
    commonName: options.commonName ?? "kubernetes",
    signer,
    serial: CA_SERIAL,
    notBefore: options.notBefore ?? new Date(NOW_S.getTime() - HOUR),
    notAfter: options.notAfter ?? new Date(NOW_S.getTime() + 10 * YEAR_S * 1000),
  });
  return { der, info: readCaCertificate(der) };
}

/** SHA-1 of the subjectPublicKey bits, computed from node's own key export (independent of src/pki). */
export function expectedKeyId(spkiDer: Uint8Array): string {
  const key = createPublicKey({ key: Buffer.from(spkiDer), format: "der", type: "spki" });
  let bits: Buffer;
  if (key.asymmetricKeyType === "rsa") bits = key.export({ type: "pkcs1", format: "der" });
  else {
    const jwk = key.export({ format: "jwk" });
    bits = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
  }
  return createHash("sha1").update(bits).digest("hex");
}

export function colonHex(hex: string): string {
  return hex.toUpperCase().match(/../g)!.join(":");
}
