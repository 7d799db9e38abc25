// `kubernetes.io/kube-apiserver-client-kubelet`: the shape of a node client certificate (spec §1.4
// kubelet.conf). kube-controller-manager approves these; kubeca only checks and signs.
import type { V1CertificateSigningRequest } from "@kubernetes/client-node";
import type { Violation } from "../errors/index.js";
import type { ParsedCsr } from "../pki/types.js";
import type { KubeletPolicy } from "./kubelet-policy.js";
import { KUBELET_CLIENT_SIGNER, NODE_USER_PREFIX, Reasons } from "./reasons.js";
import { nodeNameOf } from "./serving-checks.js";
import {
  CLIENT_USAGE_SETS,
  keyViolations,
  organizationViolations,
  subjectAttributeViolations,
  usageViolations,
} from "./shape-checks.js";

export function clientViolations(k8s: V1CertificateSigningRequest, csr: ParsedCsr, policy: KubeletPolicy): Violation[] {
  const v: Violation[] = [];
  const cn = csr.commonNames.length === 1 ? csr.commonNames[0] : undefined;
  const node = nodeNameOf(cn);
  if (!node) {
    v.push({
      field: "subject.CN",
      rule: Reasons.CommonNameNotNode,
      message: `subject CN [${csr.commonNames.join(", ")}] is not ${NODE_USER_PREFIX}<name>`,
    });
  } else {
    // Bootstrap tokens may ask for any node name; a node renewing may ask only for its own.
    const username = k8s.spec.username ?? "";
    if (nodeNameOf(username) && username !== cn) {
      v.push({ field: "subject.CN", rule: Reasons.CommonNameMismatch, message: `subject CN ${cn} differs from the requesting node ${username}` });
    } else if (!nodeNameOf(username) && policy.nodeRole(node) === "control-plane") {
      // ...except a control-plane node's: kubeca takes that certificate as the node's renewal proof, and
      // a bootstrap token is shared by every joining node.
      v.push({
        field: "subject.CN",
        rule: Reasons.ControlPlaneNodeNotRequester,
        message: `subject CN ${cn} names control-plane node ${node}, and the requester ${username || "(none)"} is not that node; kubeca accepts this certificate as ${node}'s credential, so only ${node} may renew it (control-plane nodes get kubelet.conf from kubeca)`,
      });
    }
  }
  v.push(...organizationViolations(csr), ...subjectAttributeViolations(csr));
  v.push(...usageViolations(k8s.spec.usages ?? [], CLIENT_USAGE_SETS, KUBELET_CLIENT_SIGNER));
  v.push(...keyViolations(csr, policy.keyAlgorithms));
  const sans = [...csr.dnsNames, ...csr.ipAddresses, ...csr.otherNames.map((n) => `${n.type}:${n.value}`)];
  if (sans.length > 0) {
    v.push({ field: "san", rule: Reasons.SubjectAltNamesPresent, message: `a node client certificate has no SANs; the CSR asks for ${sans.join(", ")}` });
  }
  return v;
}
