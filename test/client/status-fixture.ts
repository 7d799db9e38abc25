// A node in a known state at a known time (2026-03-01 12:00 UTC), for `kubeca status`:
// certificates that expire in 30 minutes, 23 hours, 19 days, one year; one expired, one missing; a
// partial kubeconfig; an etcd CA whose key is on disk (not external); no front-proxy CA at all.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { kubeconfigText, kubeadmKey, SPEC_NODE } from "../support/kubeadm-layout.js";
import { datedCertificate } from "./dated-certificates.js";
import type { TempNode } from "./node-fixture.js";

export const STATUS_NOW = new Date("2026-03-01T12:00:00Z");
const issued = new Date("2025-03-01T12:00:00Z");

const LEAVES: Record<string, string | undefined> = {
  apiserver: "2026-03-20T12:00:00Z",
  "apiserver-kubelet-client": "2026-02-01T00:00:00Z",
  "apiserver-etcd-client": "2026-03-01T12:30:00Z",
  "front-proxy-client": "2026-06-01T08:15:00Z",
  "etcd/server": "2027-02-28T12:00:00Z",
  "etcd/peer": "2027-03-01T12:00:00Z",
  "etcd/healthcheck-client": undefined,
};

const KUBECONFIGS: Record<string, { expires: string | null; server: string; user: string } | undefined> = {
  "admin.conf": { expires: "2026-03-02T11:00:00Z", server: "https://k8s.example.internal:6443", user: "kubernetes-admin" },
  "controller-manager.conf": { expires: "2026-03-01T12:00:45Z", server: "https://10.0.0.10:6443", user: "system:kube-controller-manager" },
  // Left by generate-csr, not yet signed.
  "scheduler.conf": { expires: null, server: "https://10.0.0.10:6443", user: "system:kube-scheduler" },
  "super-admin.conf": undefined,
  // Never listed, whatever its state.
  "kubelet.conf": { expires: "2026-03-01T12:00:01Z", server: "https://k8s.example.internal:6443", user: `system:node:${SPEC_NODE.name}` },
};

export async function writeStatusFixture(node: TempNode): Promise<void> {
  await mkdir(join(node.certDir, "etcd"), { recursive: true });
  await writeFile(join(node.certDir, "ca.crt"), await datedCertificate("kubernetes", issued, new Date("2035-12-31T00:00:00Z"), true));
  await writeFile(join(node.certDir, "etcd", "ca.crt"), await datedCertificate("etcd-ca", issued, new Date("2030-01-01T00:00:00Z"), true));
  await writeFile(join(node.certDir, "etcd", "ca.key"), await kubeadmKey("ECDSA-P256"));
  for (const [name, expires] of Object.entries(LEAVES)) {
    if (expires) await writeFile(join(node.certDir, `${name}.crt`), await datedCertificate(name, issued, new Date(expires)));
  }
  const keyPem = await kubeadmKey("ECDSA-P256");
  for (const [name, kc] of Object.entries(KUBECONFIGS)) {
    if (!kc) continue;
    const certificatePem = kc.expires ? await datedCertificate(kc.user, issued, new Date(kc.expires)) : undefined;
    await writeFile(join(node.kubeconfigDir, name), kubeconfigText({ server: kc.server, user: kc.user, keyPem, ...(certificatePem ? { certificatePem } : {}) }));
  }
}

/** Every file kubeadm lists, present; leaves and CAs expiring on the given dates. */
export async function writeHealthyNode(node: TempNode, leavesExpire: Date, casExpire: Date): Promise<void> {
  await mkdir(join(node.certDir, "etcd"), { recursive: true });
  for (const [file, cn] of [["ca.crt", "kubernetes"], ["etcd/ca.crt", "etcd-ca"], ["front-proxy-ca.crt", "front-proxy-ca"]] as const) {
    await writeFile(join(node.certDir, file), await datedCertificate(cn, issued, casExpire, true));
  }
  for (const name of Object.keys(LEAVES)) await writeFile(join(node.certDir, `${name}.crt`), await datedCertificate(name, issued, leavesExpire));
  const keyPem = await kubeadmKey("ECDSA-P256");
  for (const name of ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf"]) {
    const certificatePem = await datedCertificate(name, issued, leavesExpire);
    await writeFile(join(node.kubeconfigDir, name), kubeconfigText({ server: "https://10.0.0.10:6443", user: name, keyPem, certificatePem }));
  }
}
