// A real issuance service on a temp folder: config with the spec §6 cluster, CAs whose certificates are
// written to disk (minted for memory signers, or made with `kubeca ca init` for KMS keys), and the file
// audit store. Only time and the audit store may be swapped, to pin dates and to inject failures.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { fileAuditPaths } from "../../src/audit/index.js";
import type { AuditLog } from "../../src/audit/types.js";
import type { Caller, RequestOrigin } from "../../src/auth/caller.js";
import { loadConfigFile } from "../../src/config/index.js";
import { isKubecaError, type KubecaError } from "../../src/errors/index.js";
import { createIssuanceService, type RunningIssuanceService } from "../../src/issuance/create-service.js";
import { verifyWithBoth } from "../support/python-audit-verifier.js";

export type CaKey = "ECDSA-P256" | "ECDSA-P384" | "RSA-2048";

export interface FixtureOptions {
  /** Signer block per CA; default memory signers of `caKey`. */
  readonly signers?: Record<"ca" | "etcd-ca" | "front-proxy-ca", Record<string, unknown>>;
  readonly caKey?: CaKey;
  readonly rsaPadding?: "pkcs1" | "pss";
  readonly dev?: boolean;
  readonly audit?: AuditLog;
  readonly now?: () => Date;
  /** Changes to the raw config before it is written. */
  readonly edit?: (raw: Record<string, any>) => void;
  /** How often KMS key states are asked for (the service's default is 30 s). */
  readonly keyCheckIntervalMs?: number;
}

export interface ServiceFixture {
  readonly dir: string;
  readonly configPath: string;
  readonly service: RunningIssuanceService;
  caPem(name: "ca" | "etcd-ca" | "front-proxy-ca"): Promise<string>;
  auditLines(): Promise<Record<string, any>[]>;
  close(): Promise<void>;
}

export const ORIGIN: RequestOrigin = { requestId: "req-1", sourceIp: "127.0.0.1", userAgent: "test" };
export const CP1: Caller = { method: "token", subject: "cp-1-token", node: "cp-1", role: "control-plane" };
export const CP2: Caller = { method: "token", subject: "cp-2-token", node: "cp-2", role: "control-plane" };
export const WORKER1: Caller = { method: "token", subject: "worker-1-token", node: "worker-1", role: "worker" };

export function rawConfig(options: Pick<FixtureOptions, "signers" | "caKey" | "rsaPadding">): Record<string, any> {
  const memory = { type: "memory", algorithm: options.caKey ?? "ECDSA-P256" };
  const signer = (name: "ca" | "etcd-ca" | "front-proxy-ca") => options.signers?.[name] ?? memory;
  return {
    apiVersion: "kubeca.dev/v1alpha1",
    kind: "Config",
    cluster: {
      name: "kubernetes",
      kubernetesVersion: "1.31",
      dnsDomain: "cluster.local",
      serviceSubnet: "10.96.0.0/12",
      controlPlaneEndpoint: "k8s.example.internal:6443",
    },
    cas: {
      ca: { certificate: { file: "pki/ca.crt" }, signer: signer("ca") },
      "etcd-ca": { certificate: { file: "pki/etcd/ca.crt" }, signer: signer("etcd-ca") },
      "front-proxy-ca": { certificate: { file: "pki/front-proxy-ca.crt" }, signer: signer("front-proxy-ca") },
    },
    nodes: [
      { name: "cp-1", role: "control-plane", advertiseAddress: "10.0.0.10" },
      { name: "cp-2", role: "control-plane", advertiseAddress: "10.0.0.11" },
      { name: "worker-1", role: "worker", addresses: ["10.0.1.20"] },
    ],
    audit: { store: "file", path: "audit.jsonl" },
  };
}

/** Writes the config into a fresh temp folder and returns its path (for `kubeca ca init` first). */
export async function writeConfig(options: FixtureOptions = {}): Promise<{ dir: string; configPath: string }> {
  const dir = await mkdtemp(join(tmpdir(), "kubeca-issuance-"));
  const raw = rawConfig(options);
  options.edit?.(raw);
  const configPath = join(dir, "kubeca.yaml");
  await writeFile(configPath, stringify(raw));
  return { dir, configPath };
}

export async function startService(options: FixtureOptions = {}, existing?: { dir: string; configPath: string }): Promise<ServiceFixture> {
  const { dir, configPath } = existing ?? (await writeConfig(options));
  const service = await createIssuanceService(await loadConfigFile(configPath), {
    dev: options.dev ?? true,
    ...(options.audit ? { audit: options.audit } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.keyCheckIntervalMs ? { keyCheckIntervalMs: options.keyCheckIntervalMs } : {}),
  });
  const files = { ca: "pki/ca.crt", "etcd-ca": "pki/etcd/ca.crt", "front-proxy-ca": "pki/front-proxy-ca.crt" } as const;
  return {
    dir,
    configPath,
    service,
    caPem: (name) => readFile(join(dir, files[name]), "utf8"),
    async auditLines() {
      const text = await readFile(join(dir, "audit.jsonl"), "utf8").catch(() => "");
      return text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l));
    },
    async close() {
      try {
        await service.close();
        // Every log this fixture wrote, hostile requests included, must read the same to an independent
        // verifier written from docs/audit.md; the checkpoints of the default signer (ca) are checked too.
        if (!options.audit && service.config.audit.store === "file") {
          const checkpointSigner = service.config.audit.checkpoint?.signer ?? "ca";
          const keys = checkpointSigner === "ca" ? [await caKey(join(dir, files.ca))] : [];
          const verdict = await verifyWithBoth(fileAuditPaths(service.config.audit, dir), keys);
          assert.equal(verdict.ok, true, `the audit log of this fixture does not verify: ${verdict.broken?.detail}`);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

async function caKey(path: string): Promise<{ der: Uint8Array; pem: string }> {
  const pem = await readFile(path, "utf8");
  return { der: new X509Certificate(pem).publicKey.export({ format: "der", type: "spki" }), pem };
}

/** The apiserver DNS SANs spec §6 gives node cp-1. */
export const APISERVER_DNS = ["cp-1", "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];

/**
 * Signs `csr` as `name`, expects a refusal, and checks that exactly one audit record was added: a
 * `refused` one for this file, carrying the error's violations. Returns the error for its details.
 */
export async function refusal(fx: ServiceFixture, caller: Caller, name: string, csr: string): Promise<KubecaError> {
  const before = (await fx.auditLines()).length;
  const error = await fx.service.sign(caller, ORIGIN, { name, csr }).then(
    () => assert.fail(`${name} was signed but must be refused`),
    (e: unknown) => e,
  );
  assert.ok(isKubecaError(error), `expected a KubecaError, got ${String(error)}`);
  const lines = await fx.auditLines();
  assert.deepEqual(lines.slice(before).map((l) => l.event), ["refused"], "one refusal record, no issuance");
  const last = lines.at(-1)!;
  assert.equal(last.request.file, name);
  // One refusal shape: the caller gets the very violations the record holds, whatever the status.
  assert.ok(error.violations.length > 0, `${error.code} was answered without violations`);
  assert.deepEqual(last.violations, JSON.parse(JSON.stringify(error.violations)));
  return error;
}
