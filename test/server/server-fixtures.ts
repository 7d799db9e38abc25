// Fixtures for the HTTP layer tests. The IssuanceService here is a recording fake: these tests prove
// what the HTTP layer does (routing, validation, problem+json, authentication, batch semantics), not
// issuance; the end-to-end tests through the real pipeline live with the issuance code.
import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import type { TestContext } from "node:test";
import type { FastifyInstance } from "fastify";
import type { Caller, RequestOrigin } from "../../src/auth/caller.js";
import { createTokenAuthenticator } from "../../src/auth/bearer-token.js";
import type { NodeConfig } from "../../src/config/index.js";
import type { KubecaError } from "../../src/errors/index.js";
import type { CaSummary, IssuanceService, ReadinessCheck, SignItem, SignResult } from "../../src/issuance/types.js";
import { ServeMetrics } from "../../src/metrics/prometheus.js";
import { buildServer } from "../../src/server/index.js";
import { listen, type HttpClient } from "../support/http.js";

export const CP_TOKEN = "cp1-token-0123456789abcdef";
export const WORKER_TOKEN = "worker1-token-0123456789abcdef";

export const NODES: NodeConfig[] = [
  { name: "cp1", role: "control-plane", advertiseAddress: "10.0.0.10", addresses: [], hostnames: [] },
  { name: "worker1", role: "worker", addresses: [], hostnames: [] },
];

export const TOKENS = [
  { name: "cp1-renewer", sha256: sha256Hex(CP_TOKEN), node: "cp1" },
  { name: "worker1-renewer", sha256: sha256Hex(WORKER_TOKEN), node: "worker1" },
];

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export const CSR_PEM = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";

export function resultFor(item: SignItem): SignResult {
  return {
    name: item.name,
    profile: item.name,
    issuer: "ca",
    serial: "1f",
    notBefore: "2026-01-01T00:00:00.000Z",
    notAfter: "2027-01-01T00:00:00.000Z",
    certificate: `-----BEGIN CERTIFICATE-----\n${item.name}\n-----END CERTIFICATE-----\n`,
    caCertificate: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
  };
}

export interface RecordingService extends IssuanceService {
  readonly signCalls: { caller: Caller; origin: RequestOrigin; item: SignItem }[];
  readonly authFailures: { origin: RequestOrigin; reason: string }[];
  readonly refusals: { caller: Caller; origin: RequestOrigin; file: string | undefined; error: KubecaError }[];
  /** Decides each sign call; default: a result for the item. */
  onSign: (item: SignItem) => Promise<SignResult>;
  onRecordAuthFailure: () => Promise<void>;
  onReadiness: () => Promise<readonly ReadinessCheck[]>;
}

export function recordingService(): RecordingService {
  const cas: CaSummary[] = [
    { name: "ca", certificate: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n", bundle: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n" },
    { name: "etcd-ca", certificate: "-----BEGIN CERTIFICATE-----\nETCD\n-----END CERTIFICATE-----\n", bundle: "-----BEGIN CERTIFICATE-----\nETCD\n-----END CERTIFICATE-----\n" },
  ];
  const service: RecordingService = {
    signCalls: [],
    authFailures: [],
    refusals: [],
    onSign: async (item) => resultFor(item),
    onRecordAuthFailure: async () => {},
    onReadiness: async () => [
      { name: "config", ok: true, detail: "loaded" },
      { name: "signer ca", ok: true, detail: "public key matches ca.crt" },
    ],
    async sign(caller, origin, item) {
      service.signCalls.push({ caller, origin, item });
      return service.onSign(item);
    },
    cas: async () => cas,
    rotationStatus: async () => [],
    changeRotation: async () => {
      throw new Error("not used by these tests");
    },
    retireNode: async () => {
      throw new Error("not used by these tests");
    },
    reportTrust: async () => {},
    async recordAuthenticationFailure(origin, reason) {
      service.authFailures.push({ origin, reason });
      return service.onRecordAuthFailure();
    },
    async recordRefusal(caller, origin, refusal) {
      service.refusals.push({ caller, origin, ...refusal });
    },
    readiness: () => service.onReadiness(),
  };
  return service;
}

/** Log lines written by the server, parsed. */
export interface LogCapture {
  readonly lines: Record<string, unknown>[];
  readonly text: () => string;
}

export function testServer(options: { log?: boolean } = {}): {
  app: FastifyInstance;
  service: RecordingService;
  logs: LogCapture;
} {
  const service = recordingService();
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      raw.push(String(chunk));
      done();
    },
  });
  const app = buildServer({
    service,
    authenticator: createTokenAuthenticator(TOKENS, NODES),
    metricsEndpoint: new ServeMetrics({ version: "test", processMetrics: false }),
    logger: options.log === false ? false : { level: "info", stream },
  });
  const logs: LogCapture = {
    get lines() {
      return raw.join("").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(""),
  };
  return { app, service, logs };
}

/** testServer, listening on a loopback port until the test ends, with a supertest client for it. */
export async function listeningServer(t: TestContext, options: { log?: boolean } = {}) {
  const server = testServer(options);
  const http: HttpClient = await listen(server.app, (fn) => t.after(fn));
  return { ...server, http };
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });
