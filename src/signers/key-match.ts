// Start-up check that a signer's key is the key in its CA certificate (style rule 5): a CA that
// signs with another key issues certificates nobody can verify, so kubeca refuses to start.
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { KubecaError } from "../errors/index.js";
import type { Signer } from "./signer.js";

function parseSpki(spkiDer: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spkiDer), format: "der", type: "spki" });
}

/**
 * Canonical SPKI DER of a key. The JWK round trip is deliberate: a DER export alone keeps a compressed
 * EC point compressed, so two encodings of one key would still differ.
 */
function canonicalSpki(key: KeyObject): Buffer {
  return createPublicKey({ key: key.export({ format: "jwk" }), format: "jwk" }).export({ format: "der", type: "spki" });
}

function formatFingerprint(der: Uint8Array): string {
  const hex = createHash("sha256").update(der).digest("hex");
  return "SHA256:" + hex.match(/../g)!.join(":");
}

/**
 * SHA-256 fingerprint of a public key, `SHA256:ab:cd:…` (lowercase hex pairs), over its canonical SPKI
 * DER, so equivalent encodings of one key share a fingerprint. Bytes node cannot parse as a public key
 * are hashed as given.
 */
export function spkiFingerprint(spkiDer: Uint8Array): string {
  let key: KeyObject;
  try {
    key = parseSpki(spkiDer);
  } catch {
    return formatFingerprint(spkiDer);
  }
  return formatFingerprint(canonicalSpki(key));
}

/** Throws KUBECA_SIGNER_KEY_MISMATCH (naming the CA and both fingerprints) unless `signer` holds the certificate's key. */
export function assertSignerMatchesCertificate(caName: string, signer: Signer, caSpkiDer: Uint8Array): void {
  let signerKey: KeyObject;
  try {
    signerKey = parseSpki(signer.publicKey);
  } catch (cause) {
    throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `the signer of CA ${caName} reported a public key that is not a readable SPKI`, { cause });
  }
  let certKey: KeyObject;
  try {
    certKey = parseSpki(caSpkiDer);
  } catch (cause) {
    throw new KubecaError("KUBECA_CA_INVALID", `the certificate of CA ${caName} holds a public key that cannot be read`, { cause });
  }
  const signerSpki = canonicalSpki(signerKey);
  const certSpki = canonicalSpki(certKey);
  if (signerSpki.equals(certSpki)) return;
  throw new KubecaError(
    "KUBECA_SIGNER_KEY_MISMATCH",
    `CA ${caName}: the signer's key (${formatFingerprint(signerSpki)}) is not the key in the CA certificate (${formatFingerprint(certSpki)})`,
  );
}
