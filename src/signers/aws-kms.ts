// Production signer: the CA key stays in AWS KMS. Public key read once at start (a missing,
// disabled or wrong key fails here, not on the first request); every signature is one Sign call
// over a locally computed digest (MessageType DIGEST: RAW is capped at 4096 bytes). checkKey asks
// GetPublicKey again (no new permission needed): KMS refuses it for a key that is disabled, pending
// deletion, gone or denied, exactly as it would refuse Sign.
import { createHash } from "node:crypto";
import { GetPublicKeyCommand, KMSClient, SignCommand, type KMSClientConfig } from "@aws-sdk/client-kms";
import { KubecaError, isKubecaError } from "../errors/index.js";
import type { SignerConfig } from "../config/index.js";
import { chooseSigningAlgorithm, type SigningAlgorithmChoice } from "./algorithm.js";
import type { KeyState, KeyStateChecking } from "./key-state.js";
import { kmsError } from "./kms-errors.js";
import type { DescribableSigner } from "./signer.js";
import { SignerError, isSignerError } from "./signer-error.js";

export type AwsKmsSignerConfig = Extract<SignerConfig, { type: "aws-kms" }>;

export interface AwsKmsSignerOptions {
  /** SDK attempts per call, first try included (default 3). The whole call still ends at timeoutMs. */
  maxAttempts?: number;
  /** Credentials for the client; by default the standard AWS chain (env, profile, role). Tests pass static ones. */
  credentials?: KMSClientConfig["credentials"];
}

export interface AwsKmsSigner extends DescribableSigner, KeyStateChecking {
  /** The key ARN KMS reported; Sign uses it so a re-pointed alias cannot swap the key under a running CA. */
  readonly keyArn: string;
  /** Closes the client's sockets; the signer is unusable afterwards. */
  close(): void;
}

const DEFAULT_MAX_ATTEMPTS = 3;

/** Runs `call` with an abort signal and rejects with a TimeoutError at `ms`, retries and backoff included. */
async function withDeadline<T>(ms: number, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const timeout = Object.assign(new Error(`no answer within ${ms} ms`), { name: "TimeoutError" });
      controller.abort(timeout);
      reject(timeout);
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function misconfigured(keyId: string, detail: string, cause?: unknown): KubecaError {
  return new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `KMS key ${keyId}: ${detail}`, { cause });
}

export async function createAwsKmsSigner(config: AwsKmsSignerConfig, options: AwsKmsSignerOptions = {}): Promise<AwsKmsSigner> {
  const { keyId, timeoutMs } = config;
  const client = new KMSClient({
    ...(config.region === undefined ? {} : { region: config.region }),
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: timeoutMs },
  });

  let keyArn: string;
  let keySpec: string;
  let publicKey: Uint8Array;
  let choice: SigningAlgorithmChoice;
  try {
    const key = await withDeadline(timeoutMs, (abortSignal) =>
      client.send(new GetPublicKeyCommand({ KeyId: keyId }), { abortSignal }),
    );
    try {
      choice = chooseSigningAlgorithm({
        keySpec: key.KeySpec ?? key.CustomerMasterKeySpec,
        keyUsage: key.KeyUsage,
        rsaPadding: config.rsaPadding,
      });
    } catch (e) {
      throw isKubecaError(e) ? misconfigured(keyId, e.detail, e) : e;
    }
    if (key.SigningAlgorithms && !key.SigningAlgorithms.includes(choice.kmsAlgorithm)) {
      throw misconfigured(keyId, `does not offer ${choice.kmsAlgorithm} (it offers ${key.SigningAlgorithms.join(", ")})`);
    }
    if (!key.PublicKey || key.PublicKey.length === 0) throw misconfigured(keyId, "GetPublicKey returned no public key");
    keyArn = key.KeyId ?? keyId;
    keySpec = key.KeySpec ?? key.CustomerMasterKeySpec ?? "unknown";
    publicKey = key.PublicKey;
  } catch (e) {
    client.destroy();
    throw kmsError(e, keyId, "GetPublicKey");
  }

  return {
    algorithm: choice.signatureAlgorithm,
    publicKey,
    keyArn,
    async sign(tbs: Uint8Array): Promise<Uint8Array> {
      const digest = createHash(choice.hash).update(tbs).digest();
      let signature: Uint8Array | undefined;
      try {
        const out = await withDeadline(timeoutMs, (abortSignal) =>
          client.send(
            new SignCommand({ KeyId: keyArn, Message: digest, MessageType: "DIGEST", SigningAlgorithm: choice.kmsAlgorithm }),
            { abortSignal },
          ),
        );
        signature = out.Signature;
      } catch (e) {
        throw kmsError(e, keyArn, "Sign");
      }
      if (!signature || signature.length === 0) {
        throw new SignerError("KUBECA_SIGNER_UNAVAILABLE", "service-error", `KMS answered Sign with key ${keyArn} without a signature; retry in 1s`, {
          retryAfter: 1,
        });
      }
      // ECDSA: KMS already returns DER ECDSA-Sig-Value, which is what X.509's signatureValue holds.
      return signature;
    },
    async checkKey(): Promise<KeyState> {
      try {
        const key = await withDeadline(timeoutMs, (abortSignal) => client.send(new GetPublicKeyCommand({ KeyId: keyArn }), { abortSignal }));
        if (!key.PublicKey || !Buffer.from(key.PublicKey).equals(Buffer.from(publicKey))) {
          return { usable: false, reason: "misconfigured", detail: `KMS key ${keyArn} now reports another public key than at start; restart kubeca to compare it with the CA certificate` };
        }
        return { usable: true };
      } catch (e) {
        const error = kmsError(e, keyArn, "GetPublicKey", true);
        return { usable: false, reason: isSignerError(error) ? error.reason : "misconfigured", detail: error.detail };
      }
    },
    describe: () => `aws-kms ${keyArn} ${keySpec} ${choice.kmsAlgorithm}`,
    close: () => client.destroy(),
  };
}
