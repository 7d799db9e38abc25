// Builders for audit tests: events with modifiers, a stepping clock, and temporary folders.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { AuditEvent } from "../../src/audit/index.js";

export function issuedEvent(overrides: Partial<AuditEvent> & { node?: string; serial?: string } = {}): AuditEvent {
  const { node = "cp-1", serial = "1a2b3c", ...rest } = overrides;
  return {
    event: "issued",
    requestId: "req-1",
    actor: { method: "token", identity: `${node}-token`, node, sourceIp: "10.0.0.5", userAgent: "kubeca-client/0.1" },
    request: {
      file: "apiserver",
      profile: "apiserver",
      csrSha256: "c".repeat(64),
      publicKeySha256: "d".repeat(64),
      keyAlgorithm: "ECDSA-P256",
      subject: "CN=kube-apiserver",
      dnsNames: ["kubernetes", "kubernetes.default"],
      ipAddresses: ["10.96.0.1", "10.0.0.1"],
    },
    result: {
      serial,
      issuer: "ca",
      notBefore: "2026-03-01T09:55:00.000Z",
      notAfter: "2027-03-01T10:00:00.000Z",
      certificateSha256: "e".repeat(64),
    },
    ...rest,
  };
}

export function refusedEvent(overrides: Partial<AuditEvent> & { node?: string } = {}): AuditEvent {
  const { node = "cp-1", ...rest } = overrides;
  const base = issuedEvent({ node });
  return {
    event: "refused",
    requestId: "req-2",
    actor: base.actor,
    request: { ...base.request!, dnsNames: ["evil.example.com"] },
    violations: [{ field: "san.dns[0]", rule: "dns-not-allowed", message: "evil.example.com is not a name of cp-1" }],
    ...rest,
  };
}

/** A clock that moves `stepMs` forward on every reading; `advance` jumps. */
export function steppingClock(start = "2026-03-01T10:00:00.000Z", stepMs = 1000) {
  let t = Date.parse(start);
  const now = () => {
    const d = new Date(t);
    t += stepMs;
    return d;
  };
  return Object.assign(now, { advance: (ms: number) => void (t += ms) });
}

export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kubeca-audit-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
