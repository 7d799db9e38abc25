// The closed set of reasons a signing request is refused: the `rule` of each Violation. Operators,
// audit queries and alerts match on these strings, so a rule is never renamed or reused for a new meaning.
import type { Violation } from "../errors/index.js";

export const VIOLATION_RULES = [
  /** The requested name is no kubeadm file (raised by the issuance pipeline before policy runs). */
  "unknown-file",
  /** The CSR is not one PKCS#10 request kubeca can read (pipeline, before policy: KUBECA_CSR_MALFORMED). */
  "csr-malformed",
  /** The CSR's self-signature does not verify with its own key (pipeline, before policy: KUBECA_CSR_SIGNATURE_INVALID). */
  "csr-signature-invalid",
  /** The caller is bound to no node, or to a node neither listed under `nodes` nor matching a `nodeGroups` entry. */
  "node-unknown",
  /** The caller's role may not have this file: workers get only kubelet.conf, auditors get nothing. */
  "file-not-allowed-for-role",
  /** super-admin.conf for a node the config does not allow it (see `superAdmin` on nodes; never a group node). */
  "super-admin-not-allowed",
  /** kubeadm of the cluster's version has no such file (super-admin.conf before 1.29). */
  "file-not-for-this-version",
  /** An etcd-ca file (etcd/server, etcd/peer, etcd/healthcheck-client, apiserver-etcd-client) with external etcd. */
  "etcd-not-local",
  /** The file's issuing CA is not configured under `cas` (front-proxy-ca is optional in the config). */
  "issuer-not-configured",
  /** The subject CN is not exactly the one kubeadm writes for this file and node (missing, wrong or repeated). */
  "common-name-mismatch",
  /** The subject O values are not exactly kubeadm's list for this file and Kubernetes version (order ignored). */
  "organization-mismatch",
  /** A subject attribute other than CN and O (OU, C, emailAddress…); kubeadm CSRs carry only CN and O. */
  "subject-attribute-not-allowed",
  /** A SAN of a type other than DNS and IP (email, URI, otherName, directoryName…). */
  "san-type-not-allowed",
  /** Any DNS or IP SAN on a client profile: kubeadm requests those without SANs. */
  "san-not-expected",
  /** A DNS SAN outside the node's allowed names for this server certificate. */
  "dns-san-not-allowed",
  /** An IP SAN outside the node's allowed addresses for this server certificate (mapped IPv6 ≠ IPv4). */
  "ip-san-not-allowed",
  /** A group node's DNS SAN that is neither a cluster-wide name of this certificate nor under the group's `allowedDnsSuffixes`. */
  "dns-san-not-in-group-suffixes",
  /** A group node's IP SAN that is neither a cluster-wide address of this certificate nor in the group's `allowedCidrs`. */
  "ip-san-not-in-group-cidrs",
  /** A wildcard DNS SAN not listed verbatim in the certSANs field of this certificate. */
  "wildcard-not-allowed",
  /** A SAN kubeadm would generate is absent: kubeadm accepts the cert, clients fail at TLS time (spec §1.3). */
  "required-san-missing",
  /** The public key's algorithm is not in `keys.allowed` (or is not RSA/ECDSA at all, e.g. Ed25519). */
  "key-algorithm-not-allowed",
  /** An RSA key shorter than 2048 bits. */
  "key-too-weak",
] as const;

export type ViolationRule = (typeof VIOLATION_RULES)[number];

/** A Violation whose rule is one of ours; assignable to the errors/ contract. */
export interface PolicyViolation extends Violation {
  readonly rule: ViolationRule;
}

export function violation(field: string, rule: ViolationRule, message: string): PolicyViolation {
  return Object.freeze({ field, rule, message });
}
