// Checkpoints: a signed statement "record <seq> of this chain has hash <headHash>". Anyone holding only
// the public key can then prove the chain up to that record, and notice when records after an older
// checkpoint were cut off. The signature covers canonical(checkpoint without `signature`), so the
// algorithm and key fingerprint are signed too.
import { constants, createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import type { Signer, SignatureAlgorithm } from "../signers/signer.js";
import { canonicalJson } from "./canonical-json.js";
import { sha256Hex, type ChainHead } from "./record.js";

export interface AuditCheckpoint {
  readonly kind: "checkpoint";
  readonly seq: number;
  readonly headHash: string;
  readonly time: string;
  readonly algorithm: SignatureAlgorithm;
  /** Hex SHA-256 of the signing key's SubjectPublicKeyInfo DER: tells a verifier which key to use. */
  readonly publicKeySha256: string;
  /** Base64 of the signature: DER ECDSA-Sig-Value for ECDSA, raw for RSA (what Signer.sign returns). */
  readonly signature: string;
}

// How each signer algorithm is checked with node:crypto; PSS salt = digest length, as KMS and the memory signer use.
const VERIFY_PARAMS: Record<SignatureAlgorithm, { hash: string; padding?: number; saltLength?: number }> = {
  "ecdsa-with-SHA256": { hash: "sha256" },
  "ecdsa-with-SHA384": { hash: "sha384" },
  sha256WithRSAEncryption: { hash: "sha256", padding: constants.RSA_PKCS1_PADDING },
  "rsassa-pss-sha256": { hash: "sha256", padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
};

function signedBytes(cp: Omit<AuditCheckpoint, "signature">): Buffer {
  const { kind, seq, headHash, time, algorithm, publicKeySha256 } = cp;
  return Buffer.from(canonicalJson({ kind, seq, headHash, time, algorithm, publicKeySha256 }), "utf8");
}

export async function signCheckpoint(signer: Signer, head: ChainHead, time: string): Promise<AuditCheckpoint> {
  const body = {
    kind: "checkpoint" as const,
    seq: head.seq,
    headHash: head.hash,
    time,
    algorithm: signer.algorithm,
    publicKeySha256: sha256Hex(signer.publicKey),
  };
  const signature = await signer.sign(signedBytes(body));
  return { ...body, signature: Buffer.from(signature).toString("base64") };
}

/** Public keys a verifier trusts, by the fingerprint checkpoints name. Accepts SPKI DER or KeyObjects. */
export function trustedKeys(keys: readonly (KeyObject | Uint8Array)[]): Map<string, KeyObject> {
  const byFingerprint = new Map<string, KeyObject>();
  for (const k of keys) {
    const key = k instanceof Uint8Array ? createPublicKey({ key: Buffer.from(k), format: "der", type: "spki" }) : k;
    const publicKey = key.type === "private" ? createPublicKey(key) : key;
    byFingerprint.set(sha256Hex(publicKey.export({ format: "der", type: "spki" })), publicKey);
  }
  return byFingerprint;
}

export function checkpointSignatureValid(cp: AuditCheckpoint, key: KeyObject): boolean {
  const params = Object.hasOwn(VERIFY_PARAMS, cp.algorithm) ? VERIFY_PARAMS[cp.algorithm] : undefined;
  if (!params) return false;
  const options = {
    key,
    dsaEncoding: "der" as const,
    ...(params.padding === undefined ? {} : { padding: params.padding }),
    ...(params.saltLength === undefined ? {} : { saltLength: params.saltLength }),
  };
  const signature = Buffer.from(cp.signature, "base64");
  // Node's decoder skips what is not base64; only the one standard encoding of the bytes counts.
  if (signature.toString("base64") !== cp.signature) return false;
  try {
    return cryptoVerify(params.hash, signedBytes(cp), options, signature);
  } catch {
    // A key of the wrong type for the named algorithm, or garbage in place of a signature.
    return false;
  }
}

/** Reads one stored checkpoint; returns a reason when the value cannot be one. */
export function asStoredCheckpoint(value: unknown): AuditCheckpoint | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
  const c = value as Record<string, unknown>;
  if (c.kind !== "checkpoint") return "kind is not checkpoint";
  if (!Number.isSafeInteger(c.seq) || (c.seq as number) < 1) return "seq is not a positive integer";
  if (typeof c.headHash !== "string" || !/^[0-9a-f]{64}$/.test(c.headHash)) return "headHash is not 64 hex digits";
  for (const f of ["time", "algorithm", "publicKeySha256", "signature"] as const) {
    if (typeof c[f] !== "string") return `${f} is missing`;
  }
  return value as AuditCheckpoint;
}
