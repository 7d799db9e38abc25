// A local server speaking enough of the AWS KMS JSON 1.1 protocol for the real @aws-sdk/client-kms:
// POST / with X-Amz-Target: TrentService.<Op>, base64 blobs, errors as { __type, message }.
// SigV4 is not checked. Test hooks: count Sign calls, inject faults and latency, disable keys.
// One file on purpose: the digest signing below exists only to serve this protocol.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { constants, createHash, createPublicKey, generateKeyPair, privateEncrypt, randomBytes, randomUUID, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import { p256, p384, p521 } from "@noble/curves/nist.js";

export type KmsKeySpec = "ECC_NIST_P256" | "ECC_NIST_P384" | "ECC_NIST_P521" | "RSA_2048" | "RSA_3072" | "RSA_4096";
export type KmsKeyUsage = "SIGN_VERIFY" | "ENCRYPT_DECRYPT";
/** An AWS error name answered instead of the next calls, or "hang": never answer (until close). */
export type KmsFault = "hang" | "ThrottlingException" | "KMSInternalException" | "LimitExceededException" | "DependencyTimeoutException" | "KeyUnavailableException" | "AccessDeniedException" | "InvalidKeyUsageException";

/** One request the server received, for assertions such as "Sign was called with MessageType DIGEST". */
export interface KmsCall {
  readonly operation: string;
  readonly keyId?: string;
  readonly messageType?: string;
  readonly signingAlgorithm?: string;
}

export interface KmsServer {
  /** http://127.0.0.1:<port>, for the client's `endpoint`. */
  readonly url: string;
  readonly calls: readonly KmsCall[];
  createKey(spec: KmsKeySpec, keyUsage?: KmsKeyUsage): Promise<{ keyId: string; arn: string }>;
  /** Sign calls that reached the key (faults injected before it are not counted). */
  signCount(keyIdOrArn: string): number;
  /** The next `times` calls (any operation unless `operation` is given) get `fault`. */
  fail(fault: KmsFault, times?: number, operation?: string): void;
  /** Drop faults not yet used, so one test's leftovers cannot answer the next test's calls. */
  clearFaults(): void;
  /** Delay every answer by `ms` (benchmarks, timeouts). */
  setLatency(ms: number): void;
  /** Requests that have arrived, answered or still waiting out the latency (to know some are in flight). */
  received(): number;
  disableKey(keyIdOrArn: string): void;
  enableKey(keyIdOrArn: string): void;
  /** Forget a key, as if it had been deleted: later calls get NotFoundException. */
  deleteKey(keyIdOrArn: string): void;
  close(): Promise<void>;
}

const REGION = "us-east-1";
const ACCOUNT = "111122223333";
// The message is AWS-like on purpose: tests assert such SDK text never reaches a KubecaError detail.
const FAULT_STATUS: Record<Exclude<KmsFault, "hang">, number> = {
  ThrottlingException: 400,
  KMSInternalException: 500,
  LimitExceededException: 400,
  DependencyTimeoutException: 503,
  KeyUnavailableException: 500,
  AccessDeniedException: 400,
  InvalidKeyUsageException: 400,
};

type Hash = "sha256" | "sha384" | "sha512";
const HASH_LENGTH: Record<Hash, number> = { sha256: 32, sha384: 48, sha512: 64 };
// DER DigestInfo prefixes from RFC 8017 section 9.2, note 1.
const DIGEST_INFO: Record<Hash, string> = {
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
};

interface Key {
  readonly keyId: string;
  readonly arn: string;
  readonly spec: KmsKeySpec;
  readonly usage: KmsKeyUsage;
  readonly privateKey: KeyObject;
  readonly spki: Buffer;
  readonly created: number;
  enabled: boolean;
  signs: number;
}

class KmsError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

function signingAlgorithms(spec: KmsKeySpec): string[] {
  switch (spec) {
    case "ECC_NIST_P256":
      return ["ECDSA_SHA_256"];
    case "ECC_NIST_P384":
      return ["ECDSA_SHA_384"];
    case "ECC_NIST_P521":
      return ["ECDSA_SHA_512"];
    default:
      return ["256", "384", "512"].flatMap((h) => [`RSASSA_PSS_SHA_${h}`, `RSASSA_PKCS1_V1_5_SHA_${h}`]);
  }
}

function hashOf(algorithm: string): Hash {
  return `sha${algorithm.slice(-3)}` as Hash;
}

function mgf1(seed: Buffer, length: number, hash: Hash): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * HASH_LENGTH[hash] < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash(hash).update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** EMSA-PSS encoding (RFC 8017 9.1.1) of a digest, salt length = hash length as KMS uses. */
function emsaPss(digest: Buffer, modulusBits: number, hash: Hash): Buffer {
  const hLen = HASH_LENGTH[hash];
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(h, db.length, hash);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

function signDigest(key: Key, algorithm: string, digest: Buffer): Buffer {
  const hash = hashOf(algorithm);
  if (algorithm.startsWith("ECDSA")) {
    // node:crypto cannot ECDSA-sign a precomputed digest; noble can, with prehash off.
    const curve = key.spec === "ECC_NIST_P256" ? p256 : key.spec === "ECC_NIST_P384" ? p384 : p521;
    const d = Buffer.from(key.privateKey.export({ format: "jwk" }).d!, "base64url");
    return Buffer.from(curve.sign(digest, d, { prehash: false, format: "der", lowS: false }));
  }
  const modulusBits = key.privateKey.asymmetricKeyDetails!.modulusLength!;
  if (algorithm.startsWith("RSASSA_PKCS1_V1_5")) {
    const digestInfo = Buffer.concat([Buffer.from(DIGEST_INFO[hash], "hex"), digest]);
    return privateEncrypt({ key: key.privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo);
  }
  const em = emsaPss(digest, modulusBits, hash);
  const k = Math.ceil(modulusBits / 8);
  const block = Buffer.concat([Buffer.alloc(k - em.length), em]);
  return privateEncrypt({ key: key.privateKey, padding: constants.RSA_NO_PADDING }, block);
}

async function generate(spec: KmsKeySpec): Promise<KeyObject> {
  const gen = promisify(generateKeyPair);
  if (spec.startsWith("RSA_")) {
    return (await gen("rsa", { modulusLength: Number(spec.slice(4)) })).privateKey;
  }
  const namedCurve = { ECC_NIST_P256: "P-256", ECC_NIST_P384: "P-384", ECC_NIST_P521: "P-521" }[spec as "ECC_NIST_P256"];
  return (await gen("ec", { namedCurve })).privateKey;
}

function blob(value: unknown, field: string): Buffer {
  if (typeof value !== "string") throw new KmsError("ValidationException", `1 validation error detected: ${field} must not be null`);
  return Buffer.from(value, "base64");
}

export async function startKmsServer(): Promise<KmsServer> {
  const keys = new Map<string, Key>();
  const calls: KmsCall[] = [];
  const faults: { fault: KmsFault; operation: string | undefined }[] = [];
  const hanging = new Set<ServerResponse>();
  let latencyMs = 0;

  function find(keyIdOrArn: unknown): Key {
    const id = typeof keyIdOrArn === "string" ? keyIdOrArn.replace(/^arn:aws:kms:[^:]+:\d+:key\//, "") : "";
    const key = keys.get(id);
    if (!key) throw new KmsError("NotFoundException", `Key '${String(keyIdOrArn)}' does not exist`);
    return key;
  }
  function usable(keyIdOrArn: unknown): Key {
    const key = find(keyIdOrArn);
    if (!key.enabled) throw new KmsError("DisabledException", `${key.arn} is disabled.`);
    return key;
  }
  function metadata(key: Key): Record<string, unknown> {
    return {
      AWSAccountId: ACCOUNT,
      KeyId: key.keyId,
      Arn: key.arn,
      CreationDate: key.created,
      Enabled: key.enabled,
      KeyState: key.enabled ? "Enabled" : "Disabled",
      KeyUsage: key.usage,
      KeySpec: key.spec,
      CustomerMasterKeySpec: key.spec,
      KeyManager: "CUSTOMER",
      Origin: "AWS_KMS",
      MultiRegion: false,
      Description: "",
      ...(key.usage === "SIGN_VERIFY" ? { SigningAlgorithms: signingAlgorithms(key.spec) } : { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] }),
    };
  }
  async function createKey(spec: KmsKeySpec, usage: KmsKeyUsage = "SIGN_VERIFY"): Promise<{ keyId: string; arn: string }> {
    if (usage === "ENCRYPT_DECRYPT" && !spec.startsWith("RSA_")) {
      throw new KmsError("ValidationException", `KeySpec ${spec} does not support KeyUsage ENCRYPT_DECRYPT`);
    }
    const privateKey = await generate(spec);
    const keyId = randomUUID();
    const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
    const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
    keys.set(keyId, { keyId, arn, spec, usage, privateKey, spki, created: Math.floor(Date.now() / 1000), enabled: true, signs: 0 });
    return { keyId, arn };
  }

  const operations: Record<string, (body: Record<string, unknown>) => Promise<unknown> | unknown> = {
    async CreateKey(body) {
      const spec = (body.KeySpec ?? body.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT") as string;
      const usage = (body.KeyUsage ?? "ENCRYPT_DECRYPT") as string;
      const specs: readonly string[] = ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "RSA_2048", "RSA_3072", "RSA_4096"];
      if (!specs.includes(spec) || (usage !== "SIGN_VERIFY" && usage !== "ENCRYPT_DECRYPT")) {
        throw new KmsError("UnsupportedOperationException", `This test server does not create ${spec} keys with usage ${usage}`);
      }
      const { keyId } = await createKey(spec as KmsKeySpec, usage);
      return { KeyMetadata: metadata(find(keyId)) };
    },
    DescribeKey(body) {
      return { KeyMetadata: metadata(find(body.KeyId)) };
    },
    GetPublicKey(body) {
      const key = usable(body.KeyId);
      return {
        KeyId: key.arn,
        PublicKey: key.spki.toString("base64"),
        KeySpec: key.spec,
        CustomerMasterKeySpec: key.spec,
        KeyUsage: key.usage,
        ...(key.usage === "SIGN_VERIFY" ? { SigningAlgorithms: signingAlgorithms(key.spec) } : { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] }),
      };
    },
    Sign(body) {
      const key = usable(body.KeyId);
      const algorithm = String(body.SigningAlgorithm);
      if (key.usage !== "SIGN_VERIFY" || !signingAlgorithms(key.spec).includes(algorithm)) {
        throw new KmsError("InvalidKeyUsageException", `You cannot use ${algorithm} with ${key.arn}.`);
      }
      const message = blob(body.Message, "message");
      const hash = hashOf(algorithm);
      let digest: Buffer;
      if (body.MessageType === "DIGEST") {
        if (message.length !== HASH_LENGTH[hash]) throw new KmsError("ValidationException", `Digest is invalid length for algorithm ${algorithm}.`);
        digest = message;
      } else {
        if (message.length > 4096) throw new KmsError("ValidationException", "Message length exceeds 4096 bytes; use MessageType DIGEST.");
        digest = createHash(hash).update(message).digest();
      }
      key.signs++;
      return { KeyId: key.arn, Signature: signDigest(key, algorithm, digest).toString("base64"), SigningAlgorithm: algorithm };
    },
    DisableKey(body) {
      find(body.KeyId).enabled = false;
      return {};
    },
    EnableKey(body) {
      find(body.KeyId).enabled = true;
      return {};
    },
  };

  function send(res: ServerResponse, status: number, payload: unknown): void {
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      "content-type": "application/x-amz-json-1.1",
      "content-length": Buffer.byteLength(text),
      "x-amzn-requestid": randomUUID(),
    });
    res.end(text);
  }

  let arrived = 0;
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    arrived++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.startsWith("TrentService.") ? target.slice("TrentService.".length) : "";
    try {
      const run = operations[operation];
      if (req.method !== "POST" || !run) throw new KmsError("UnknownOperationException", `Unknown operation ${target}`);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        throw new KmsError("SerializationException", "Request body is not valid JSON");
      }
      calls.push({
        operation,
        ...(typeof body.KeyId === "string" ? { keyId: body.KeyId } : {}),
        ...(typeof body.MessageType === "string" ? { messageType: body.MessageType } : {}),
        ...(typeof body.SigningAlgorithm === "string" ? { signingAlgorithm: body.SigningAlgorithm } : {}),
      });
      const i = faults.findIndex((f) => f.operation === undefined || f.operation === operation);
      if (i >= 0) {
        const fault = faults.splice(i, 1)[0]!.fault;
        if (fault === "hang") {
          hanging.add(res);
          res.on("close", () => hanging.delete(res));
          return;
        }
        throw new KmsError(fault, `Injected ${fault}: Rate exceeded for principal arn:aws:iam::${ACCOUNT}:role/test (request id ${randomUUID()})`, FAULT_STATUS[fault]);
      }
      send(res, 200, await run(body));
    } catch (e) {
      if (e instanceof KmsError) send(res, e.status, { __type: e.type, message: e.message });
      else send(res, 500, { __type: "KMSInternalException", message: `test server bug: ${String(e)}` });
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    createKey,
    signCount: (keyIdOrArn) => find(keyIdOrArn).signs,
    fail(fault, times = 1, operation) {
      for (let n = 0; n < times; n++) faults.push({ fault, operation });
    },
    clearFaults() {
      faults.length = 0;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    received: () => arrived,
    disableKey(keyIdOrArn) {
      find(keyIdOrArn).enabled = false;
    },
    enableKey(keyIdOrArn) {
      find(keyIdOrArn).enabled = true;
    },
    deleteKey(keyIdOrArn) {
      keys.delete(find(keyIdOrArn).keyId);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
