// The node's side of the renewal proof (format in auth/proof-format.ts): every request is signed with
// the key of a certificate kubeca issued to this node, typically the kubelet's client certificate
// /var/lib/kubelet/pki/kubelet-client-current.pem (certificate and key in one PEM). The proof covers the
// method, the API path and the body's hash, carries the time and a fresh random id, and is good once.
import { createPrivateKey, createPublicKey, randomBytes, X509Certificate, type KeyObject } from "node:crypto";
import { CompactSign } from "jose";
import { bodySha256, PROOF_SCHEME, PROOF_TYPE, type ProofAlgorithm, type ProofPayload } from "../auth/proof-format.js";
import { pemBlocks, toPem } from "./pem.js";

export interface RequestProver {
  /** The Authorization header value for one request; `path` is the API path (`/v1/sign/batch`). */
  authorization(method: string, path: string, body: Uint8Array | undefined): Promise<string>;
  /** The certificate that signs, for messages. */
  readonly certificate: X509Certificate;
}

export interface ProofCredentials {
  /** PEM text holding the certificate first (more certificates and a key may follow). */
  readonly certificatePem: string;
  /** PEM text holding the private key; the same text as the certificate's for kubelet-client-current.pem. */
  readonly keyPem: string;
}

export interface RequestProverOptions {
  readonly now?: () => Date;
  /** A fresh proof id per request; default 128 random bits, base64url. */
  readonly jti?: () => string;
}

/** Thrown when the files cannot make proofs; the message says which file and why. */
export class ProofCredentialsError extends Error {
  override name = "ProofCredentialsError";
}

/** The JWS algorithm a key makes: the one each key type has in auth's accepted list. */
function algorithmFor(key: KeyObject): ProofAlgorithm {
  if (key.asymmetricKeyType === "rsa") return "RS256";
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return "ES256";
    if (curve === "secp384r1") return "ES384";
  }
  const kind = key.asymmetricKeyType === "ec" ? `EC ${key.asymmetricKeyDetails?.namedCurve}` : key.asymmetricKeyType;
  throw new ProofCredentialsError(`the key is ${kind}; proofs are signed with ECDSA P-256, P-384 or RSA keys`);
}

export function createRequestProver(credentials: ProofCredentials, options: RequestProverOptions = {}): RequestProver {
  const now = options.now ?? (() => new Date());
  const jti = options.jti ?? (() => randomBytes(16).toString("base64url"));

  const certificateDer = pemBlocks(credentials.certificatePem).find((b) => b.label === "CERTIFICATE")?.der;
  if (!certificateDer) throw new ProofCredentialsError("the certificate file holds no CERTIFICATE block");
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificateDer);
  } catch {
    throw new ProofCredentialsError("the certificate file's first CERTIFICATE block is not an X.509 certificate");
  }
  const keyBlock = pemBlocks(credentials.keyPem).find((b) => b.label.endsWith("PRIVATE KEY"));
  if (!keyBlock) throw new ProofCredentialsError("the key file holds no PRIVATE KEY block");
  if (keyBlock.label === "ENCRYPTED PRIVATE KEY") throw new ProofCredentialsError("the private key is encrypted; kubeca renew needs it unencrypted, as the kubelet keeps it");
  let key: KeyObject;
  try {
    key = createPrivateKey(toPem(keyBlock.label, keyBlock.der));
  } catch {
    throw new ProofCredentialsError(`the key file's ${keyBlock.label} block is not a private key node can read`);
  }
  // A key that is not the certificate's would make proofs the service refuses; say so here instead.
  const spki = (k: KeyObject) => k.export({ type: "spki", format: "der" });
  if (!spki(createPublicKey(key)).equals(spki(certificate.publicKey))) {
    throw new ProofCredentialsError(`the private key does not belong to the certificate ${certificate.subject.replaceAll("\n", ", ")}`);
  }
  const alg = algorithmFor(key);
  const notAfter = new Date(Date.parse(certificate.validTo));
  if (now() > notAfter) {
    throw new ProofCredentialsError(`the certificate ${certificate.subject.replaceAll("\n", ", ")} expired at ${notAfter.toISOString()}; renew with --token-file instead`);
  }
  const x5c = [Buffer.from(certificate.raw).toString("base64")];

  return {
    certificate,
    async authorization(method, path, body) {
      const payload: ProofPayload = {
        htm: method,
        htu: path,
        bodySha256: bodySha256(body),
        iat: Math.floor(now().getTime() / 1000),
        jti: jti(),
      };
      const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg, typ: PROOF_TYPE, x5c })
        .sign(key);
      return `${PROOF_SCHEME} ${jws}`;
    },
  };
}
