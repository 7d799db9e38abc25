// The renewal proof on the wire, shared by the node (client/request-prover.ts) and the service
// (auth/certificate-proof.ts) so both read the same definition:
//
//   Authorization: KubecaProof <compact JWS>
//   protected header: { alg: ES256 | ES384 | RS256 | PS256, typ: "kubeca-proof+jws", x5c: [leaf, …] }, nothing else
//   payload:          { htm, htu, bodySha256, iat, jti }
//
// The JWS is signed with the private key of a certificate kubeca issued to the node; the payload binds
// it to one request (method, path, body) at one time, and the jti makes it single-use.
import { createHash } from "node:crypto";

export const PROOF_SCHEME = "KubecaProof";

/** Explicit typing (RFC 8725 §3.11): a JWS made for anything else never passes as a proof. */
export const PROOF_TYPE = "kubeca-proof+jws";

export const PROOF_ALGORITHMS = ["ES256", "ES384", "RS256", "PS256"] as const;
export type ProofAlgorithm = (typeof PROOF_ALGORITHMS)[number];

/** A proof is accepted while its iat is at most this far from the service's clock, either way. */
export const PROOF_MAX_SKEW_SECONDS = 300;

/** jti: 16 to 128 base64url characters (the client sends 22, a random 128-bit value). */
export const JTI_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** The longest proof the service reads: a JWS with an RSA-4096 certificate is about 3 KiB. */
export const PROOF_MAX_LENGTH = 12 * 1024;

export interface ProofPayload {
  /** HTTP method, upper case. */
  readonly htm: string;
  /** The API path with query string as the service routes it (`/v1/sign/batch`), not the full URL:
   *  a stage or proxy prefix in front of the service is not part of it. */
  readonly htu: string;
  /** base64url SHA-256 of the exact body bytes (of nothing when there is no body). */
  readonly bodySha256: string;
  /** Seconds since the epoch when the proof was made. */
  readonly iat: number;
  readonly jti: string;
}

export function bodySha256(body: Uint8Array | undefined): string {
  return createHash("sha256")
    .update(body ?? new Uint8Array(0))
    .digest("base64url");
}
