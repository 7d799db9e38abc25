// Small builders with modifiers for decide() tests: a ParsedCsr, a CSR object, Facts. No PEMs.
import type { V1CertificateSigningRequest } from "@kubernetes/client-node";
import { compileKubeletPolicy, type KubeletPolicy } from "../../src/kubelet/kubelet-policy.js";
import type { Facts } from "../../src/kubelet/facts.js";
import type { ParsedCsr } from "../../src/pki/types.js";
import type { KubeletSignerConfig } from "../../src/config/index.js";
import { KubeletSignerConfig as KubeletSignerSchema } from "../../src/config/index.js";

export const NOW = new Date("2026-09-01T12:00:00Z");

export function parsedCsr(mod: Partial<ParsedCsr> = {}): ParsedCsr {
  return {
    der: new Uint8Array([0x30]),
    sha256: "00".repeat(32),
    commonNames: ["system:node:cp-1"],
    organizations: ["system:nodes"],
    otherSubjectAttributes: [],
    subjectDer: new Uint8Array([0x30]),
    subjectEmpty: false,
    spkiDer: new Uint8Array([0x30]),
    publicKeySha256: "11".repeat(32),
    keyAlgorithm: { type: "ec", curve: "P-256" },
    dnsNames: ["cp-1"],
    ipAddresses: ["10.0.0.10"],
    otherNames: [],
    sanDer: new Uint8Array([0x30]),
    ...mod,
  };
}

export interface CsrMod {
  signerName?: string;
  username?: string;
  groups?: string[];
  usages?: string[];
  expirationSeconds?: number;
  conditions?: ("Approved" | "Denied" | "Failed")[];
  certificate?: string;
  createdSecondsAgo?: number;
}

export function servingCsr(mod: CsrMod = {}): V1CertificateSigningRequest {
  return {
    metadata: { name: "csr-abc", resourceVersion: "7", creationTimestamp: new Date(NOW.getTime() - (mod.createdSecondsAgo ?? 5) * 1000) },
    spec: {
      request: "",
      signerName: mod.signerName ?? "kubernetes.io/kubelet-serving",
      username: mod.username ?? "system:node:cp-1",
      groups: mod.groups ?? ["system:nodes", "system:authenticated"],
      usages: mod.usages ?? ["digital signature", "server auth"],
      ...(mod.expirationSeconds === undefined ? {} : { expirationSeconds: mod.expirationSeconds }),
    },
    status: {
      conditions: (mod.conditions ?? []).map((type) => ({ type, status: "True", reason: "Test", message: "" })),
      ...(mod.certificate === undefined ? {} : { certificate: mod.certificate }),
    },
  };
}

export function clientCsr(mod: CsrMod = {}): V1CertificateSigningRequest {
  return servingCsr({
    signerName: "kubernetes.io/kube-apiserver-client-kubelet",
    username: "system:bootstrap:abcdef",
    groups: ["system:bootstrappers", "system:authenticated"],
    usages: ["digital signature", "client auth"],
    ...mod,
  });
}

export function policy(section: Partial<KubeletSignerConfig> = {}): KubeletPolicy {
  return compileKubeletPolicy({
    keys: { allowed: ["RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384"] },
    kubeletSigner: { ...KubeletSignerSchema.parse({}), ...section },
  });
}

export interface FactsMod {
  csr?: Partial<ParsedCsr>;
  requestError?: string;
  node?: "missing" | "not-looked-up" | { dns?: string[]; ips?: string[] };
  policy?: Partial<KubeletSignerConfig>;
}

/** cp-1 with Hostname cp-1 and InternalIP 10.0.0.10 (spec §6's serving vector) unless modified. */
export function facts(mod: FactsMod = {}): Facts {
  const node = mod.node ?? {};
  return {
    policy: policy(mod.policy),
    request: mod.requestError ? { ok: false, error: mod.requestError } : { ok: true, csr: parsedCsr(mod.csr) },
    node:
      node === "missing"
        ? { state: "missing", name: "cp-1" }
        : node === "not-looked-up"
          ? { state: "not-looked-up" }
          : {
              state: "found",
              name: "cp-1",
              addresses: { dnsNames: node.dns ?? ["cp-1"], ipAddresses: node.ips ?? ["10.0.0.10"], source: "node status" },
            },
  };
}
