// The service's one authenticator, composed from the config: it picks the method by what the request
// carries and hands the request to that method's authenticator.
//   - an IAM principal from API Gateway's request context (Lambda only)  → callers.iam
//   - Authorization: Bearer <token>                                     → callers.tokens, callers.auditors
//   - Authorization: KubecaProof <JWS>                                  → a current certificate (callers.proof)
// A SigV4 Authorization header without a principal from the gateway is refused: kubeca never reads
// SigV4 itself, so such a header proves nothing.
import { X509Certificate } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { compileNodeLookup, type CaName, type Config } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import type { Authenticator, CredentialInput } from "./authenticator.js";
import { describeScheme, readAuthorization } from "./authorization-header.js";
import { createIamAuthenticator } from "./aws-iam.js";
import { createTokenAuthenticator, type DevTokenOptions } from "./bearer-token.js";
import type { Caller, NodeDirectory } from "./caller.js";
import { createCertificateProofAuthenticator } from "./certificate-proof.js";
import { PROOF_SCHEME } from "./proof-format.js";
import { createMemoryReplayCache, type ReplayCache } from "./replay-cache.js";

export interface CreateAuthenticatorOptions {
  /** The configured CAs' certificates (PEM or DER) as the issuance service holds them (a development
   *  CA is minted at start): leaves of these, and only these, can prove a node. */
  readonly caCertificates: ReadonlyMap<CaName, string | Uint8Array>;
  /**
   * The CA certificates nodes trust now, per request: during a CA rotation, a leaf of the next CA
   * proves a node from trust-both on, and one of the replaced CA no longer does after finish.
   */
  readonly trustedCas?: () => Promise<readonly { readonly name: CaName; readonly certificate: X509Certificate }[]>;
  /** On Lambda, instances share no memory: a memory replay cache would let a proof be replayed to
   *  another instance, so proofs are then refused unless the replay cache is dynamodb. */
  readonly runtime?: "server" | "lambda";
  readonly now?: () => Date;
  /** Use this replay cache instead of the configured one (tests; several apps sharing one). */
  readonly replayCache?: ReplayCache;
  /** The DynamoDB client for a dynamodb replay cache, instead of one built from its region/endpoint. */
  readonly dynamoDbClient?: DynamoDBClient;
  readonly devToken?: DevTokenOptions;
}

export interface ComposedAuthenticator extends Authenticator {
  /** Releases what the authenticator opened (a DynamoDB client it made). */
  close(): Promise<void>;
}

function refuse(detail: string): KubecaError {
  return new KubecaError("KUBECA_UNAUTHENTICATED", detail);
}

/** An authenticator for a method that is switched off here; says why and how to switch it on. */
function refusing(detail: string): Authenticator {
  return {
    authenticate: async () => {
      throw refuse(detail);
    },
  };
}

/** A dynamodb replay cache's code (and the AWS SDK) is loaded only for one: a server's memory cache never needs it. */
async function replayCacheFor(config: Config, options: CreateAuthenticatorOptions): Promise<{ cache: ReplayCache; close?: () => void } | { unavailable: string }> {
  if (options.replayCache) return { cache: options.replayCache };
  const store = config.callers.proof.replayCache;
  if (store.store === "memory") {
    if (options.runtime === "lambda") {
      return {
        unavailable:
          "certificate proofs are refused on this deployment: on Lambda the replay cache must be shared (callers.proof.replayCache.store: dynamodb), or a proof could be replayed to another instance",
      };
    }
    return { cache: createMemoryReplayCache() };
  }
  const owned = options.dynamoDbClient === undefined;
  const { createDynamoDbReplayCache, DynamoDBClient } = await import("./dynamodb-replay-cache.js");
  const client =
    options.dynamoDbClient ??
    new DynamoDBClient({ ...(store.region ? { region: store.region } : {}), ...(store.endpoint ? { endpoint: store.endpoint } : {}) });
  return { cache: createDynamoDbReplayCache({ client, table: store.table }), ...(owned ? { close: () => client.destroy() } : {}) };
}

export async function createAuthenticator(config: Config, options: CreateAuthenticatorOptions): Promise<ComposedAuthenticator> {
  const nodes: NodeDirectory = compileNodeLookup(config);
  const { callers } = config;

  const tokens = createTokenAuthenticator(callers.tokens, config.nodes, {
    auditors: callers.auditors,
    operators: callers.operators,
    ...(options.devToken ? { devToken: options.devToken } : {}),
  });
  const iam = createIamAuthenticator(callers.iam, nodes);

  let proof: Authenticator;
  let closeReplay: (() => void) | undefined;
  if (!callers.proof.enabled) {
    proof = refusing("certificate proofs are switched off on this service (callers.proof.enabled: false); use a bearer token");
  } else {
    const replay = await replayCacheFor(config, options);
    if ("unavailable" in replay) {
      proof = refusing(replay.unavailable);
    } else {
      closeReplay = replay.close;
      const anchors = [...options.caCertificates].map(([name, cert]) => ({ name, certificate: new X509Certificate(cert) }));
      proof = createCertificateProofAuthenticator({
        anchors,
        ...(options.trustedCas ? { currentAnchors: options.trustedCas } : {}),
        nodes,
        replayCache: replay.cache,
        ...(options.now ? { now: options.now } : {}),
      });
    }
  }

  return {
    async authenticate(input: CredentialInput): Promise<Caller> {
      // API Gateway verified this principal's signature before the function ran; nothing else to check.
      if (input.awsIamPrincipal !== undefined) return iam.authenticate(input);
      const header = readAuthorization(input.headers);
      if (!header) throw refuse(`no credentials; send Authorization: Bearer <token>, or ${PROOF_SCHEME} <JWS> signed with the node's current certificate`);
      switch (header.scheme.toLowerCase()) {
        case "bearer":
          return tokens.authenticate(input);
        case PROOF_SCHEME.toLowerCase():
          return proof.authenticate(input);
        case "aws4-hmac-sha256":
          throw refuse(
            "an AWS SigV4 signature reached kubeca without an IAM principal from API Gateway: IAM authorization is not enabled on this route, and kubeca does not check SigV4 itself",
          );
        default:
          throw refuse(`the Authorization header uses ${describeScheme(header)}; kubeca accepts Bearer, ${PROOF_SCHEME}, and AWS IAM through API Gateway`);
      }
    },
    async close() {
      closeReplay?.();
    },
  };
}
