// Renewal proof with a current certificate: `Authorization: KubecaProof <JWS>` (format in
// proof-format.ts). No shared secret: the node signs each request with the key of a certificate this
// service issued to it, and the identity is the node that certificate names. Checks, in order:
//   JWS shape and header → x5c leaf issued by one of our CAs, not a CA, valid now → the node it names
//   is in the config → signature with the leaf's key → the payload matches this request (method,
//   path, body hash) → iat within ±PROOF_MAX_SKEW_SECONDS → jti never used (claimed last, so a proof
//   refused for any other reason does not use up its jti).
import { X509Certificate, type KeyObject } from "node:crypto";
import { compactVerify, decodeProtectedHeader, type ProtectedHeaderParameters } from "jose";
import { KubecaError } from "../errors/index.js";
import type { Authenticator, CredentialInput } from "./authenticator.js";
import { readAuthorization } from "./authorization-header.js";
import type { Caller, NodeDirectory } from "./caller.js";
import { issuingAnchor, type TrustAnchor } from "./certificate-chain.js";
import { certificateIdentity } from "./certificate-identity.js";
import {
  bodySha256,
  JTI_PATTERN,
  PROOF_ALGORITHMS,
  PROOF_MAX_LENGTH,
  PROOF_MAX_SKEW_SECONDS,
  PROOF_SCHEME,
  PROOF_TYPE,
  type ProofAlgorithm,
  type ProofPayload,
} from "./proof-format.js";
import type { ReplayCache } from "./replay-cache.js";

export interface CertificateProofOptions {
  /** The service's CA certificates: the only issuers whose leaves are accepted. */
  readonly anchors: readonly TrustAnchor[];
  /** When set, the anchors of each request instead: the CAs nodes trust in the current CA rotation phase. */
  readonly currentAnchors?: () => Promise<readonly TrustAnchor[]>;
  readonly nodes: NodeDirectory;
  readonly replayCache: ReplayCache;
  readonly now?: () => Date;
}

/** x5c entries read at most: the leaf, and perhaps the chain a client sends out of habit (ignored). */
const MAX_X5C = 4;

/**
 * The only protected-header parameters a proof may carry. Anything else changes how a JWS is read
 * (crit, b64: false) or points at keys kubeca never uses (jku, x5u, jwk, kid): refused by name rather
 * than ignored, or left to jose, whose refusal of an unknown crit would read as a bad signature.
 */
const HEADER_PARAMETERS: ReadonlySet<string> = new Set(["alg", "typ", "x5c"]);

function refuse(detail: string): KubecaError {
  return new KubecaError("KUBECA_UNAUTHENTICATED", detail);
}

/** Client-chosen header names for a detail: at most five, each short and plain. */
function names(keys: readonly string[]): string {
  const shown = keys.slice(0, 5).map((k) => k.slice(0, 32).replace(/[^\w#.-]/g, "?"));
  return keys.length > shown.length ? `${shown.join(", ")}, …` : shown.join(", ");
}

/** Client-chosen text repeated in a detail: bounded and on one line. */
function quote(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, "?");
  return JSON.stringify(clean.length > 120 ? `${clean.slice(0, 120)}…` : clean);
}

function isProofAlgorithm(alg: unknown): alg is ProofAlgorithm {
  return typeof alg === "string" && (PROOF_ALGORITHMS as readonly string[]).includes(alg);
}

/** Which algorithms a key can make: ES256 only with P-256, ES384 only with P-384, RS256/PS256 with RSA. */
function algorithmsFor(key: KeyObject): readonly ProofAlgorithm[] {
  if (key.asymmetricKeyType === "rsa") return ["RS256", "PS256"];
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return ["ES256"];
    if (curve === "secp384r1") return ["ES384"];
  }
  return [];
}

function parseHeader(jws: string): { alg: ProofAlgorithm; leaf: X509Certificate } {
  if (jws === "") throw refuse(`the Authorization header has the ${PROOF_SCHEME} scheme but no proof`);
  if (jws.length > PROOF_MAX_LENGTH) throw refuse(`the proof is longer than ${PROOF_MAX_LENGTH} characters`);
  if (jws.split(".").length !== 3) throw refuse("the proof is not a compact JWS (header.payload.signature)");
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw refuse("the proof's protected header is not base64url-encoded JSON");
  }
  if (header.typ !== PROOF_TYPE) throw refuse(`the proof's typ is ${quote(String(header.typ ?? "absent"))}; a kubeca proof has typ ${PROOF_TYPE}`);
  if (!isProofAlgorithm(header.alg)) throw refuse(`the proof's alg ${quote(String(header.alg ?? "absent"))} is not one of ${PROOF_ALGORITHMS.join(", ")}`);
  const extra = Object.keys(header).filter((k) => !HEADER_PARAMETERS.has(k));
  if (extra.length > 0) throw refuse(`the proof's header has ${names(extra)}; a kubeca proof's header has only ${[...HEADER_PARAMETERS].join(", ")}`);
  const x5c = header.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > MAX_X5C || typeof x5c[0] !== "string") {
    throw refuse(`the proof's header needs x5c: the node's certificate first (base64 DER), at most ${MAX_X5C} entries`);
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(Buffer.from(x5c[0], "base64"));
  } catch {
    throw refuse("the proof's x5c[0] is not a base64 DER X.509 certificate");
  }
  return { alg: header.alg, leaf };
}

function parsePayload(bytes: Uint8Array): ProofPayload {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw refuse("the proof's payload is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw refuse("the proof's payload is not a JSON object");
  const p = value as Record<string, unknown>;
  const missing: string[] = ["htm", "htu", "bodySha256", "jti"].filter((k) => typeof p[k] !== "string");
  if (!Number.isSafeInteger(p.iat)) missing.push("iat");
  if (missing.length > 0) throw refuse(`the proof's payload lacks ${missing.join(", ")} (or has the wrong type)`);
  return { htm: p.htm as string, htu: p.htu as string, bodySha256: p.bodySha256 as string, iat: p.iat as number, jti: p.jti as string };
}

export function createCertificateProofAuthenticator(options: CertificateProofOptions): Authenticator {
  const now = options.now ?? (() => new Date());
  const anchors = [...options.anchors];

  return {
    async authenticate(input: CredentialInput): Promise<Caller> {
      const authorization = readAuthorization(input.headers);
      if (!authorization || authorization.scheme.toLowerCase() !== PROOF_SCHEME.toLowerCase()) {
        throw refuse(`no proof; send Authorization: ${PROOF_SCHEME} <JWS>`);
      }
      const jws = authorization.credentials;
      const at = now();
      const { alg, leaf } = parseHeader(jws);

      // Who: the certificate, checked against our own CAs before its key is trusted for anything.
      const anchor = issuingAnchor(leaf, options.currentAnchors ? await options.currentAnchors() : anchors, at);
      const identity = certificateIdentity(leaf, anchor.name, options.nodes);

      // The signature, with the certificate's key and an algorithm that key can make.
      const fits = algorithmsFor(leaf.publicKey);
      if (!fits.includes(alg)) {
        throw refuse(`the proof's alg ${alg} does not fit its certificate's key (${fits.length ? `use ${fits.join(" or ")}` : "a key type kubeca does not accept for proofs"})`);
      }
      let payloadBytes: Uint8Array;
      try {
        payloadBytes = (await compactVerify(jws, leaf.publicKey, { algorithms: [alg] })).payload;
      } catch {
        throw refuse("the proof's signature does not verify with its certificate's key: the JWS was altered, or signed with another key");
      }

      // What: this very request, now, once.
      const payload = parsePayload(payloadBytes);
      if (payload.htm !== input.method || payload.htu !== input.url) {
        throw refuse(`the proof was made for ${quote(payload.htm)} ${quote(payload.htu)}, not for this request (${input.method} ${quote(input.url)})`);
      }
      if (payload.bodySha256 !== bodySha256(input.body)) {
        throw refuse("the request body is not the body the proof signed (bodySha256 differs): it was altered, or the proof belongs to another request");
      }
      const nowSeconds = Math.floor(at.getTime() / 1000);
      const age = nowSeconds - payload.iat;
      if (age > PROOF_MAX_SKEW_SECONDS) {
        throw refuse(`the proof's iat is ${age} s old; proofs are accepted within ${PROOF_MAX_SKEW_SECONDS} s of the service's clock (is the node's clock right?)`);
      }
      if (-age > PROOF_MAX_SKEW_SECONDS) {
        throw refuse(`the proof's iat is ${-age} s in the future; proofs are accepted within ${PROOF_MAX_SKEW_SECONDS} s of the service's clock (is the node's clock right?)`);
      }
      if (!JTI_PATTERN.test(payload.jti)) throw refuse("the proof's jti must be 16 to 128 base64url characters");
      // Kept until the iat leaves the window (plus a second for rounding); later the iat check refuses it.
      if (!(await options.replayCache.claim(payload.jti, payload.iat + PROOF_MAX_SKEW_SECONDS + 1, nowSeconds))) {
        throw refuse("the proof's jti was already used: a proof is good for one request; sign every request anew");
      }

      return Object.freeze({
        method: "certificate" as const,
        subject: `CN=${identity.commonName}, serial ${serialText(leaf.serialNumber)} (${anchor.name})`,
        node: identity.node,
        role: identity.role,
      });
    },
  };
}

/** The audit log's serial form: lowercase hex without leading zeros. */
function serialText(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, "");
}
