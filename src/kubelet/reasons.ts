// Every reason the kubelet signer writes, in one place (style rule 11). The same string is the
// condition reason on the CSR, the audit record's rule and the event reason. When a CSR breaks
// several rules, the condition reason is the first violation's and the message lists them all.

export const Reasons = {
  // --- approvals and signing -------------------------------------------------------------
  /** Approved condition: every check of spec §3.4 passed against the Node. */
  NodeIdentityVerified: "NodeIdentityVerified",
  /** Written nowhere as a condition; the audit reason of a signed kubelet-serving CSR. */
  ServingCertificateIssued: "ServingCertificateIssued",
  /** The audit reason of a signed kube-apiserver-client-kubelet CSR. */
  ClientCertificateIssued: "ClientCertificateIssued",
  /** The audit reason of kubelet-csr-unwritten: a signed and recorded certificate never reached the CSR. */
  CertificateUnwritten: "CertificateUnwritten",

  // --- refusals: identity (serving) ------------------------------------------------------
  /** spec.username is not `system:node:<name>`: only a kubelet may ask for a serving certificate. */
  UsernameNotNode: "UsernameNotNode",
  /** The CSR's CN differs from spec.username: a node asking in another node's name. */
  CommonNameMismatch: "CommonNameMismatch",
  /** spec.groups lacks `system:nodes`. */
  MissingNodesGroup: "MissingNodesGroup",
  /** Subject O is not exactly [system:nodes]. */
  OrganizationMismatch: "OrganizationMismatch",
  /** The subject carries attributes other than CN and O (OU, C, serialNumber...). */
  UnexpectedSubjectAttribute: "UnexpectedSubjectAttribute",
  /** The Node named by the CSR does not exist (after nodeWaitSeconds). */
  NodeNotFound: "NodeNotFound",

  // --- refusals: names (serving) ---------------------------------------------------------
  /** The CSR has neither a DNS nor an IP SAN. */
  NoSubjectAltNames: "NoSubjectAltNames",
  /** A DNS SAN is not a Hostname/InternalDNS/ExternalDNS address of the Node. */
  DnsNameNotOnNode: "DnsNameNotOnNode",
  /** An IP SAN is not an InternalIP/ExternalIP address of the Node. */
  IpAddressNotOnNode: "IpAddressNotOnNode",
  /**
   * kubeletSigner.addressSource names a cloud inventory, and it vouches for nothing: the Node has no
   * spec.providerID, or the inventory knows no running instance by it. Every SAN is refused too.
   */
  InstanceNotInInventory: "InstanceNotInInventory",
  /** A DNS SAN ends with none of kubeletSigner.allowedDnsSuffixes, or of its node group's allowedDnsSuffixes. */
  DnsNameNotAllowed: "DnsNameNotAllowed",
  /** An IP SAN is in none of kubeletSigner.allowedCidrs, or of its node group's allowedCidrs. */
  IpAddressNotAllowed: "IpAddressNotAllowed",
  /** A wildcard, `kubernetes` or `kubernetes.*` DNS SAN: never a node's own name. */
  ReservedDnsName: "ReservedDnsName",
  /** An email, URI or other SAN type: kubelets never ask for them. */
  ForbiddenSanType: "ForbiddenSanType",

  // --- refusals: shape (both signers) ----------------------------------------------------
  /** spec.usages is not one of the sets the signer accepts. */
  UsagesNotAllowed: "UsagesNotAllowed",
  /** The CSR's key algorithm is not in the allowed list. */
  KeyAlgorithmNotAllowed: "KeyAlgorithmNotAllowed",
  /** spec.request is not a readable PKCS#10 CSR or its self-signature does not verify. */
  CsrInvalid: "CsrInvalid",
  /** Node client CSR: CN is not `system:node:<name>`. */
  CommonNameNotNode: "CommonNameNotNode",
  /** Node client CSR: client certificates carry no SANs. */
  SubjectAltNamesPresent: "SubjectAltNamesPresent",
  /**
   * Node client CSR: the CN names a node the config lists as control-plane (under nodes or in a
   * control-plane node group), and the requester is not that node (a bootstrap token, which KCM approves
   * for any node name, or any other user). kubeca accepts the certificate as that node's renewal proof,
   * so only the node itself may renew it; control-plane nodes get kubelet.conf from kubeca's API.
   */
  ControlPlaneNodeNotRequester: "ControlPlaneNodeNotRequester",

  // --- signing ---------------------------------------------------------------------------
  /** Failed condition: issuing can never succeed for this CSR as configured (CA expired, CSR unembeddable). */
  SigningFailed: "SigningFailed",
} as const;

export type Reason = (typeof Reasons)[keyof typeof Reasons];

/** The two signers this controller serves; every other signerName is left alone. */
export const KUBELET_SERVING_SIGNER = "kubernetes.io/kubelet-serving";
export const KUBELET_CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
export const NODE_USER_PREFIX = "system:node:";
export const NODES_GROUP = "system:nodes";
