// Per node, the SANs kubeadm puts in each server certificate (spec §1.3) and the SANs kubeca will sign.
// required: what kubeadm generates — a cert missing one is accepted by kubeadm but fails at TLS time.
// allowed: required plus the node's own extra addresses/hostnames from the config; nothing else is signed.
import type { NodeConfig } from "../config/index.js";
import type { ClusterFacts } from "./cluster-facts.js";
import { isWildcardName } from "./name-normalisation.js";
import type { SanSet } from "./profiles.js";
import { splitNamesAndIps, unionSans, type SanNames } from "./san-names.js";

export type ServerSanSet = Exclude<SanSet, "none">;

export interface SanRule {
  readonly required: SanNames;
  readonly allowed: SanNames;
  /** Wildcard DNS SANs that may be signed: only those listed verbatim in `extraSansField`. */
  readonly wildcards: readonly string[];
  /** The config field whose entries kubeadm adds to this set (named in messages). */
  readonly extraSansField: string;
}

export type NodeSanRules = Readonly<Record<ServerSanSet, SanRule>>;

function rule(required: SanNames, nodeExtras: SanNames, extraSansField: string): SanRule {
  return Object.freeze({
    required,
    allowed: unionSans(required, nodeExtras),
    wildcards: Object.freeze(required.dns.filter(isWildcardName)),
    extraSansField,
  });
}

/**
 * The SAN rules for one node. A node without advertiseAddress (a worker) gets sets without it; policy
 * never consults them because workers may not request server certificates.
 */
/**
 * kubeadm's local etcd SANs (localhost, 127.0.0.1, ::1), already in comparison form: splitNamesAndIps
 * would run node:net's IPv6 expression on "::1", whose compiling cost 10 ms of the Lambda's first invoke.
 */
const ETCD_LOCAL: SanNames = Object.freeze({ dns: Object.freeze(["localhost"]), ip: Object.freeze(["127.0.0.1", "::1"]) });

export function compileNodeSans(facts: ClusterFacts, node: NodeConfig): NodeSanRules {
  const self = splitNamesAndIps([node.name, ...(node.advertiseAddress ? [node.advertiseAddress] : [])]);
  // Wildcards come only from certSANs-style fields, never from a node's hostnames.
  const extras = splitNamesAndIps([...node.hostnames.filter((h) => !isWildcardName(h)), ...node.addresses]);
  const serviceNames = ["kubernetes", "kubernetes.default", "kubernetes.default.svc", `kubernetes.default.svc.${facts.dnsDomain}`];

  const apiserver = unionSans(
    // IP order as kubeadm writes them: Service IP first, then the advertise address.
    { dns: [], ip: [facts.serviceIp] },
    self,
    splitNamesAndIps(serviceNames),
    facts.controlPlaneEndpoint,
    facts.apiServerCertSans,
  );
  const etcdServer = unionSans(self, ETCD_LOCAL, facts.etcdServerCertSans);
  const etcdPeer = unionSans(self, ETCD_LOCAL, facts.etcdPeerCertSans);

  return Object.freeze({
    apiserver: rule(apiserver, extras, "cluster.apiServerCertSANs"),
    "etcd-server": rule(etcdServer, extras, "cluster.etcd.serverCertSANs"),
    "etcd-peer": rule(etcdPeer, extras, "cluster.etcd.peerCertSANs"),
  });
}
