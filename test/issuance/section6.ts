// Spec §6 test vectors as data, written out from the spec (not derived from src/), and real CSRs for them.
import { buildCsr, withCommonName, withDnsNames, withIpAddresses, withKey, withOrganizations, type CsrKeyType } from "../support/csr-builder.js";

export type Ca = "ca" | "etcd-ca" | "front-proxy-ca";
export interface Row {
  readonly issuer: Ca;
  readonly issuerCn: string;
  readonly cn: string;
  readonly o: readonly string[];
  readonly dns: readonly string[];
  readonly ip: readonly string[];
  readonly eku: readonly ("TLS Web Server Authentication" | "TLS Web Client Authentication")[];
}

export const SERVER = "TLS Web Server Authentication" as const;
export const CLIENT = "TLS Web Client Authentication" as const;
const ETCD_SANS = { dns: ["cp-1", "localhost"], ip: ["10.0.0.10", "127.0.0.1", "::1"] };

// Spec §6, written out from the spec (not derived from src/): node cp-1, 10.0.0.10, 1.29+ defaults.
export const SECTION_6: Readonly<Record<string, Row>> = {
  apiserver: {
    issuer: "ca", issuerCn: "kubernetes", cn: "kube-apiserver", o: [],
    dns: ["cp-1", "k8s.example.internal", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
    ip: ["10.96.0.1", "10.0.0.10"], eku: [SERVER],
  },
  "apiserver-kubelet-client": { issuer: "ca", issuerCn: "kubernetes", cn: "kube-apiserver-kubelet-client", o: ["kubeadm:cluster-admins"], dns: [], ip: [], eku: [CLIENT] },
  "front-proxy-client": { issuer: "front-proxy-ca", issuerCn: "front-proxy-ca", cn: "front-proxy-client", o: [], dns: [], ip: [], eku: [CLIENT] },
  "etcd/server": { issuer: "etcd-ca", issuerCn: "etcd-ca", cn: "cp-1", o: [], ...ETCD_SANS, eku: [SERVER, CLIENT] },
  "etcd/peer": { issuer: "etcd-ca", issuerCn: "etcd-ca", cn: "cp-1", o: [], ...ETCD_SANS, eku: [SERVER, CLIENT] },
  "etcd/healthcheck-client": { issuer: "etcd-ca", issuerCn: "etcd-ca", cn: "kube-etcd-healthcheck-client", o: [], dns: [], ip: [], eku: [CLIENT] },
  "apiserver-etcd-client": { issuer: "etcd-ca", issuerCn: "etcd-ca", cn: "kube-apiserver-etcd-client", o: [], dns: [], ip: [], eku: [CLIENT] },
  "admin.conf": { issuer: "ca", issuerCn: "kubernetes", cn: "kubernetes-admin", o: ["kubeadm:cluster-admins"], dns: [], ip: [], eku: [CLIENT] },
  "super-admin.conf": { issuer: "ca", issuerCn: "kubernetes", cn: "kubernetes-super-admin", o: ["system:masters"], dns: [], ip: [], eku: [CLIENT] },
  "kubelet.conf": { issuer: "ca", issuerCn: "kubernetes", cn: "system:node:cp-1", o: ["system:nodes"], dns: [], ip: [], eku: [CLIENT] },
  "controller-manager.conf": { issuer: "ca", issuerCn: "kubernetes", cn: "system:kube-controller-manager", o: [], dns: [], ip: [], eku: [CLIENT] },
  "scheduler.conf": { issuer: "ca", issuerCn: "kubernetes", cn: "system:kube-scheduler", o: [], dns: [], ip: [], eku: [CLIENT] },
};

export function csrFor(file: string, key: CsrKeyType = "P-256"): string {
  const row = SECTION_6[file]!;
  return buildCsr(
    withKey(key),
    withCommonName(row.cn),
    ...(row.o.length ? [withOrganizations(...row.o)] : []),
    ...(row.dns.length ? [withDnsNames(...row.dns)] : []),
    ...(row.ip.length ? [withIpAddresses(...row.ip)] : []),
  ).pem;
}

