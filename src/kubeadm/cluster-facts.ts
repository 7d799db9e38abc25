// The cluster-wide facts kubeadm derives SANs and subjects from, computed once from the config at start.
// A value kubeadm could not use either (bad CIDR, bad endpoint) is a config error here, not a refusal later.
import ipaddr from "ipaddr.js";
import type { Config } from "../config/index.js";
import { ipFamily } from "../config/ip-family.js";
import { KubecaError } from "../errors/index.js";
import { parseKubernetesVersion, type KubernetesVersion } from "./kubernetes-version.js";
import { canonicalIp, normalizeDnsName } from "./name-normalisation.js";
import { NO_SANS, splitNamesAndIps, type SanNames } from "./san-names.js";

export interface ClusterFacts {
  readonly version: KubernetesVersion;
  readonly clusterName: string;
  /** Normalised; ends `kubernetes.default.svc.<dnsDomain>`. */
  readonly dnsDomain: string;
  /** Index 1 of the first serviceSubnet CIDR: the `kubernetes` Service's ClusterIP. */
  readonly serviceIp: string;
  /** The host of controlPlaneEndpoint, as a DNS or an IP SAN of apiserver (empty when unset). */
  readonly controlPlaneEndpoint: SanNames;
  readonly apiServerCertSans: SanNames;
  /** False for external etcd: no etcd-ca leaves are signed. */
  readonly etcdLocal: boolean;
  readonly etcdServerCertSans: SanNames;
  readonly etcdPeerCertSans: SanNames;
}

function configError(field: string, message: string): KubecaError {
  return new KubecaError("KUBECA_CONFIG_INVALID", `${field}: ${message}`);
}

/**
 * kubeadm's GetAPIServerVirtualIP: the FIRST CIDR of a comma-separated (dual-stack) list, masked to its
 * network, plus one. `10.96.0.0/12` → `10.96.0.1`; `fd00::/108` → `fd00::1`.
 */
export function firstServiceIp(serviceSubnet: string): string {
  const field = "cluster.serviceSubnet";
  const first = (serviceSubnet.split(",")[0] ?? "").trim();
  const slash = first.indexOf("/");
  const addrText = slash < 0 ? "" : first.slice(0, slash);
  const prefixText = slash < 0 ? "" : first.slice(slash + 1);
  const family = ipFamily(addrText);
  const bits = family === 4 ? 32 : 128;
  if (family === 0 || !/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    throw configError(field, `"${first}" is not a CIDR like 10.96.0.0/12 or fd00::/108`);
  }
  const prefix = Number(prefixText);
  if (prefix === bits) throw configError(field, `"${first}" has no address at index 1 (the kubernetes Service IP)`);
  const bytes = ipaddr.parse(addrText).toByteArray();
  // Mask to the network, then add one: with prefix < bits the lowest bit is 0 after masking, so no carry.
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) + 1;
  const text = ipaddr.fromByteArray(bytes).toString();
  return canonicalIp(text) ?? text;
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$/i;

/**
 * kubeadm's ParseHostPort: `host`, `host:port`, `[v6]:port` or a bare IPv6 address; only the host
 * becomes a SAN — an IP SAN if it parses as an IP, otherwise a DNS SAN.
 */
export function controlPlaneEndpointSans(endpoint: string | undefined): SanNames {
  if (endpoint === undefined || endpoint.trim() === "") return NO_SANS;
  const field = "cluster.controlPlaneEndpoint";
  const s = endpoint.trim();
  let host = s;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (bracketed) {
    host = bracketed[1] ?? "";
    port = bracketed[2];
    if (ipFamily(host) !== 6) throw configError(field, `"${s}": only an IPv6 address may stand in brackets`);
  } else if (ipFamily(s) === 0 && s.split(":").length === 2) {
    [host, port] = s.split(":") as [string, string];
  }
  if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw configError(field, `"${s}": port must be a number between 1 and 65535`);
  }
  const ip = canonicalIp(host);
  if (ip !== undefined) return Object.freeze({ dns: Object.freeze([]), ip: Object.freeze([ip]) });
  if (!dns1123Subdomain.test(host)) {
    throw configError(field, `"${s}": host must be an IP address or a DNS name (RFC 1123), optionally with :port`);
  }
  return Object.freeze({ dns: Object.freeze([normalizeDnsName(host)]), ip: Object.freeze([]) });
}

function frozenSplit(entries: readonly string[]): SanNames {
  const s = splitNamesAndIps(entries);
  return Object.freeze({ dns: Object.freeze([...s.dns]), ip: Object.freeze([...s.ip]) });
}

export function compileClusterFacts(cluster: Config["cluster"]): ClusterFacts {
  return Object.freeze({
    version: parseKubernetesVersion(cluster.kubernetesVersion),
    clusterName: cluster.name,
    dnsDomain: normalizeDnsName(cluster.dnsDomain),
    serviceIp: firstServiceIp(cluster.serviceSubnet),
    controlPlaneEndpoint: controlPlaneEndpointSans(cluster.controlPlaneEndpoint),
    apiServerCertSans: frozenSplit(cluster.apiServerCertSANs),
    etcdLocal: cluster.etcd.local,
    etcdServerCertSans: frozenSplit(cluster.etcd.serverCertSANs),
    etcdPeerCertSans: frozenSplit(cluster.etcd.peerCertSANs),
  });
}
