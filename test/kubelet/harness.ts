// A fake apiserver with two Nodes (spec §6's cp-1, and cp-2), a test CA, and controllers built with
// the real client against it. Timings are shortened so leader hand-over takes about a second.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { CertificatesV1Api, type V1CertificateSigningRequest } from "@kubernetes/client-node";
import { KubeletSignerConfig as KubeletSignerSchema, type KubeletSignerConfig } from "../../src/config/index.js";
import { createKubeletController, type KubeletController, type KubeletControllerDeps } from "../../src/kubelet/controller.js";
import { compileKubeletPolicy, type KubeletPolicy } from "../../src/kubelet/kubelet-policy.js";
import { silentLog } from "../../src/kubelet/kubelet-log.js";
import type { KubeletCa } from "../../src/kubelet/kubelet-ca.js";
import { startFakeApiserver, type FakeApiserver } from "../support/fake-apiserver.js";
import { kubeletCsrPem, requestField, type KubeletCsrOptions } from "./kubelet-csr.js";
import { MemoryAuditLog } from "./memory-audit-log.js";
import { counterSerial, createTestCa, lookup, type TestCa } from "./test-ca.js";

/**
 * For tests that count exact audit records: a Lease a loaded machine cannot lose mid-test. With the
 * default 600 ms renew deadline a stalled event loop fences the leader between auditing a decision
 * and writing it, and the retry records it a second time (correct, but not what such a test counts).
 */
export const STEADY_LEASE = { lease: 15_000, renewDeadline: 10_000 } as const;

export const SERVING = "kubernetes.io/kubelet-serving";
export const CLIENT = "kubernetes.io/kube-apiserver-client-kubelet";

export interface Harness {
  readonly server: FakeApiserver;
  readonly ca: TestCa;
  readonly policy: KubeletPolicy;
  controller(
    name: string,
    options?: { audit?: MemoryAuditLog; cas?: KubeletCa[]; timingsMs?: KubeletControllerDeps["timingsMs"] },
  ): { controller: KubeletController; audit: MemoryAuditLog };
  /** Create a CSR through the real client as `token` (the server fills username and groups). */
  submit(token: string, csr: KubeletCsrOptions, spec?: { signerName?: string; usages?: string[] }): Promise<string>;
  csr(name: string): any;
  close(): Promise<void>;
}

export async function startHarness(section: Partial<KubeletSignerConfig> = {}): Promise<Harness> {
  const server = await startFakeApiserver();
  server.addNode("cp-1", [
    { type: "Hostname", address: "cp-1" },
    { type: "InternalIP", address: "10.0.0.10" },
  ]);
  server.addNode("cp-2", [
    { type: "Hostname", address: "cp-2" },
    { type: "InternalIP", address: "10.0.0.11" },
  ]);
  const ca = await createTestCa("ca");
  const policy = compileKubeletPolicy({
    keys: { allowed: ["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"] },
    kubeletSigner: { ...KubeletSignerSchema.parse({}), nodeWaitSeconds: 0, ...section },
  });
  const serial = counterSerial();
  const running: KubeletController[] = [];
  return {
    server,
    ca,
    policy,
    controller(name, options = {}) {
      const audit = options.audit ?? new MemoryAuditLog();
      const controller = createKubeletController({
        kubeConfig: server.kubeConfig(`kubeca-${name}`),
        policy,
        audit,
        cas: lookup(...(options.cas ?? [ca])),
        serial,
        now: () => new Date(),
        log: silentLog,
        identity: `kubeca-${name}`,
        timingsMs: { lease: 1000, renewDeadline: 600, retryPeriod: 100, resync: 60_000, watchRetry: 50, backoffBase: 50, ...options.timingsMs },
      });
      running.push(controller);
      return { controller, audit };
    },
    async submit(token, csr, spec = {}) {
      const api = server.kubeConfig(token).makeApiClient(CertificatesV1Api);
      const body: V1CertificateSigningRequest = {
        metadata: { generateName: "csr-" },
        spec: {
          request: requestField(await kubeletCsrPem(csr)),
          signerName: spec.signerName ?? SERVING,
          usages: spec.usages ?? ["digital signature", "server auth"],
        },
      };
      return (await api.createCertificateSigningRequest({ body })).metadata!.name!;
    },
    csr(name) {
      return server.get("certificatesigningrequests", name);
    },
    async close() {
      await Promise.all(running.map((c) => c.stop()));
      await server.close();
    },
  };
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function condition(csr: any, type: string): any {
  return (csr?.status?.conditions ?? []).find((c: any) => c.type === type);
}

export function certificatePem(csr: any): string | undefined {
  const b64 = csr?.status?.certificate;
  return b64 ? Buffer.from(b64, "base64").toString("utf8") : undefined;
}

/** `openssl verify -CAfile ca -purpose <purpose> leaf`: returns openssl's output, throws on failure. */
export function opensslVerify(caFile: string, leafPem: string, purpose: "sslserver" | "sslclient"): string {
  const leaf = join(dirname(caFile), `leaf-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(leaf, leafPem);
  return execFileSync("openssl", ["verify", "-CAfile", caFile, "-purpose", purpose, leaf], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function opensslText(pem: string): string {
  return execFileSync("openssl", ["x509", "-noout", "-text"], { input: pem, encoding: "utf8" });
}

/** Certificate-setting writes the server saw, by CSR name. */
export function certificateWrites(server: FakeApiserver): Map<string, { user: string; status: number }[]> {
  const out = new Map<string, { user: string; status: number }[]>();
  for (const w of server.writes) {
    if (w.subresource !== "status" || !w.setsCertificate) continue;
    out.set(w.name, [...(out.get(w.name) ?? []), { user: w.user, status: w.status }]);
  }
  return out;
}
