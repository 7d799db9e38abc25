// Certificates and proofs for the authentication tests. CAs and leaves are made with @peculiar/x509 (a
// dev dependency), not with src/, so the code under test never judges its own fixtures:
//   const ca = await createTestCa();
//   const leaf = await issueLeaf(ca, kubeletClientOf("cp-1"), expiredAt(new Date(...)));
// Valid proofs come from the real client (src/client/request-prover.ts); tampered ones from
// craftProof, which signs whatever header and payload a test gives it with jose.
import "reflect-metadata";
import { constants, createHash, createHmac, KeyObject, sign, webcrypto, X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { CredentialInput } from "../../src/auth/authenticator.js";
import { PROOF_SCHEME, PROOF_TYPE, type ProofPayload } from "../../src/auth/proof-format.js";
import { createRequestProver, type RequestProverOptions } from "../../src/client/request-prover.js";

x509.cryptoProvider.set(webcrypto as never);

export type LeafKeyType = "P-256" | "P-384" | "RSA-2048";

const ALGORITHMS: Record<LeafKeyType, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams> = {
  "P-256": { name: "ECDSA", namedCurve: "P-256" },
  "P-384": { name: "ECDSA", namedCurve: "P-384" },
  "RSA-2048": { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
};
const SIGNING: Record<LeafKeyType, object> = {
  "P-256": { name: "ECDSA", hash: "SHA-256" },
  "P-384": { name: "ECDSA", hash: "SHA-384" },
  "RSA-2048": { name: "RSASSA-PKCS1-v1_5" },
};

// Key generation is slow for RSA: one key pair per type for the whole run.
const keyCache = new Map<LeafKeyType, Promise<webcrypto.CryptoKeyPair>>();
function keyPair(type: LeafKeyType): Promise<webcrypto.CryptoKeyPair> {
  let keys = keyCache.get(type);
  if (!keys) {
    keys = webcrypto.subtle.generateKey(ALGORITHMS[type] as never, true, ["sign", "verify"]) as Promise<webcrypto.CryptoKeyPair>;
    keyCache.set(type, keys);
  }
  return keys;
}

export interface TestCa {
  readonly certificate: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly pem: string;
  readonly der: Uint8Array;
}

const HOUR = 3600_000;
let serial = 0x1000;

export async function createTestCa(commonName = "kubernetes"): Promise<TestCa> {
  // Its own key, so two CAs with the same name are still two CAs.
  const keys = (await webcrypto.subtle.generateKey(ALGORITHMS["P-256"] as never, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: (serial++).toString(16),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - HOUR),
    notAfter: new Date(Date.now() + 10 * 365 * 24 * HOUR),
    keys,
    signingAlgorithm: SIGNING["P-256"],
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, keys, pem: certificate.toString("pem") + "\n", der: new Uint8Array(certificate.rawData) };
}

export interface LeafSpec {
  subject: string;
  ekus: string[];
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  key: LeafKeyType;
  /** A key pair of its own instead of the run's shared one for the type. */
  ownKey: boolean;
}
export type LeafModifier = (s: LeafSpec) => void;

export const EKU = { serverAuth: "1.3.6.1.5.5.7.3.1", clientAuth: "1.3.6.1.5.5.7.3.2" } as const;

/** The kubelet's client certificate: CN system:node:<node>, O system:nodes, clientAuth (the default leaf). */
export const kubeletClientOf = (node: string): LeafModifier => (s) => {
  s.subject = `CN=system:node:${node}, O=system:nodes`;
  s.ekus = [EKU.clientAuth];
};
/** etcd's server or peer certificate: CN <node>, serverAuth and clientAuth. */
export const etcdPeerOf = (node: string): LeafModifier => (s) => {
  s.subject = `CN=${node}`;
  s.ekus = [EKU.serverAuth, EKU.clientAuth];
};
export const withSubject = (subject: string): LeafModifier => (s) => void (s.subject = subject);
export const withEkus = (...ekus: string[]): LeafModifier => (s) => void (s.ekus = ekus);
export const withLeafKey = (key: LeafKeyType): LeafModifier => (s) => void (s.key = key);
export const withOwnKey = (): LeafModifier => (s) => void (s.ownKey = true);
export const expiredAt = (notAfter: Date): LeafModifier => (s) => {
  s.notBefore = new Date(notAfter.getTime() - 24 * HOUR);
  s.notAfter = notAfter;
};
export const validFrom = (notBefore: Date): LeafModifier => (s) => void (s.notBefore = notBefore);
/** BasicConstraints CA:TRUE: an intermediate CA certificate under the test CA. */
export const asCaCertificate = (): LeafModifier => (s) => void (s.ca = true);

export interface Leaf {
  readonly certificate: X509Certificate;
  readonly pem: string;
  readonly privateKey: KeyObject;
  readonly keyPem: string;
  /** PEM of certificate then key, like /var/lib/kubelet/pki/kubelet-client-current.pem. */
  readonly combinedPem: string;
}

export async function issueLeaf(ca: TestCa, ...modifiers: LeafModifier[]): Promise<Leaf> {
  const spec: LeafSpec = {
    subject: "CN=system:node:cp-1, O=system:nodes",
    ekus: [EKU.clientAuth],
    notBefore: new Date(Date.now() - HOUR),
    notAfter: new Date(Date.now() + 365 * 24 * HOUR),
    ca: false,
    key: "P-256",
    ownKey: false,
  };
  for (const m of modifiers) m(spec);
  const keys = spec.ownKey
    ? ((await webcrypto.subtle.generateKey(ALGORITHMS[spec.key] as never, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair)
    : await keyPair(spec.key);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16),
    subject: spec.subject,
    issuer: ca.certificate.subject,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    signingKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: SIGNING["P-256"],
    extensions: [
      new x509.BasicConstraintsExtension(spec.ca, undefined, true),
      new x509.KeyUsagesExtension(spec.ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(spec.ekus),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pem = cert.toString("pem") + "\n";
  const privateKey = KeyObject.from(keys.privateKey);
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  return { certificate: new X509Certificate(pem), pem, privateKey, keyPem, combinedPem: pem + keyPem };
}

export interface RequestSpec {
  readonly method?: string;
  readonly url?: string;
  readonly body?: string;
}

/** The CredentialInput a request with this Authorization header (and nothing else) gives. */
export function credentialInput(authorization: string | undefined, request: RequestSpec = {}): CredentialInput {
  return {
    headers: authorization === undefined ? {} : { authorization },
    method: request.method ?? "POST",
    url: request.url ?? "/v1/sign",
    body: request.body === undefined ? undefined : Buffer.from(request.body),
  };
}

/** A valid proof, made by the real client code. */
export async function proofFor(leaf: Leaf, request: RequestSpec = {}, options: RequestProverOptions = {}): Promise<string> {
  const prover = createRequestProver({ certificatePem: leaf.pem, keyPem: leaf.keyPem }, options);
  return prover.authorization(request.method ?? "POST", request.url ?? "/v1/sign", request.body === undefined ? undefined : Buffer.from(request.body));
}

let jtiCounter = 0;
export function freshJti(): string {
  return `test-jti-${String(++jtiCounter).padStart(8, "0")}-${process.pid}`;
}

export function sha256Base64url(text: string | undefined): string {
  return createHash("sha256")
    .update(text ?? "")
    .digest("base64url");
}

/**
 * Any proof a test wants: payload fields default to a valid proof of `request` now; `header` entries
 * replace or add protected-header parameters (undefined removes one). Signed with `leaf`'s key unless
 * `signWith` is given, by node:crypto for whatever alg the header names, so a test can make the
 * mismatched signatures jose itself would refuse to produce.
 */
export async function craftProof(
  leaf: Leaf,
  options: {
    request?: RequestSpec;
    payload?: Partial<Record<keyof ProofPayload, unknown>> & Record<string, unknown>;
    header?: Record<string, unknown>;
    signWith?: KeyObject;
    now?: Date;
  } = {},
): Promise<string> {
  const request = options.request ?? {};
  const now = options.now ?? new Date();
  const payload = {
    htm: request.method ?? "POST",
    htu: request.url ?? "/v1/sign",
    bodySha256: sha256Base64url(request.body),
    iat: Math.floor(now.getTime() / 1000),
    jti: freshJti(),
    ...options.payload,
  };
  const key = options.signWith ?? leaf.privateKey;
  const natural = key.asymmetricKeyType === "rsa" ? "RS256" : key.asymmetricKeyDetails?.namedCurve === "secp384r1" ? "ES384" : "ES256";
  const header = { alg: natural, typ: PROOF_TYPE, x5c: [Buffer.from(leaf.certificate.raw).toString("base64")], ...options.header };
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = Buffer.from(`${b64(header)}.${b64(payload)}`);
  const alg = String(header.alg);
  const hash = alg.endsWith("384") ? "sha384" : "sha256";
  let signature: Buffer;
  if (alg.startsWith("HS")) signature = createHmac(hash, "not-a-key").update(input).digest();
  else if (alg.startsWith("ES")) signature = sign(hash, input, { key, dsaEncoding: "ieee-p1363" });
  else if (alg.startsWith("PS")) signature = sign(hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  else signature = sign(hash, input, key);
  return `${PROOF_SCHEME} ${input.toString()}.${signature.toString("base64url")}`;
}

/** The CA certificate itself, with its key, presented as if it were a node's certificate. */
export function caAsLeaf(ca: TestCa): Leaf {
  const privateKey = KeyObject.from(ca.keys.privateKey);
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  return { certificate: new X509Certificate(ca.pem), pem: ca.pem, privateKey, keyPem, combinedPem: ca.pem + keyPem };
}
