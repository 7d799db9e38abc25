// Which node a certificate names. Only certificates whose subject is the node itself count, each from
// the CA that issues it in a kubeadm cluster:
//   - `ca`: the kubelet's client certificate (kubelet-client-current.pem, kubelet.conf):
//     CN system:node:<name>, O exactly system:nodes, clientAuth;
//   - `etcd-ca`: etcd's server and peer certificates of a control-plane node: CN <name>, serverAuth and
//     clientAuth (the etcd client certificates have clientAuth only and name no node).
// Every other certificate of the cluster (apiserver, admin.conf, …) names a component, not a node.
// A proof is client authentication, so the certificate must allow clientAuth; a kubelet serving
// certificate (serverAuth only) does not.
import type { X509Certificate } from "node:crypto";
import type { CaName } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import { readCertificateSubject, type NameAttribute } from "../pki/index.js";
import type { NodeDirectory } from "./caller.js";
import { describeCertificate } from "./certificate-chain.js";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const CN = "2.5.4.3";
const O = "2.5.4.10";
const KUBELET_CN_PREFIX = "system:node:";
const NODES_GROUP = "system:nodes";

export interface CertificateIdentity {
  readonly node: string;
  readonly role: "control-plane" | "worker";
  /** The certificate's CN, for the Caller's subject. */
  readonly commonName: string;
}

function refuse(detail: string): KubecaError {
  return new KubecaError("KUBECA_UNAUTHENTICATED", detail);
}

function values(subject: readonly NameAttribute[], oid: string): string[] {
  return subject.filter((a) => a.oid === oid && a.isString).map((a) => a.value);
}

/** The node `leaf` (issued by `issuer`, already verified) names, with its role from the config. */
export function certificateIdentity(leaf: X509Certificate, issuer: CaName, nodes: NodeDirectory): CertificateIdentity {
  const what = describeCertificate(leaf);
  let subject: NameAttribute[];
  try {
    subject = readCertificateSubject(new Uint8Array(leaf.raw));
  } catch {
    throw refuse(`the proof's certificate ${what} has a subject kubeca cannot read`);
  }
  const cns = values(subject, CN);
  const [cn] = cns;
  if (cns.length !== 1 || cn === undefined) throw refuse(`the proof's certificate ${what} has ${cns.length} common names; a node's certificate has one`);
  const ekus = leaf.keyUsage ?? [];
  if (!ekus.includes(CLIENT_AUTH)) throw refuse(`the proof's certificate ${what} does not allow client authentication (no clientAuth usage)`);

  let node: string;
  if (issuer === "ca") {
    // O exactly [system:nodes], as the kubelet signer and kubeadm write it: a certificate that also
    // claims other groups is not a node's kubelet client certificate.
    const os = values(subject, O);
    if (!cn.startsWith(KUBELET_CN_PREFIX) || os.length !== 1 || os[0] !== NODES_GROUP) {
      throw refuse(`the proof's certificate ${what} names no node; from ca only a kubelet client certificate (CN system:node:<name>, O system:nodes) proves a node`);
    }
    node = cn.slice(KUBELET_CN_PREFIX.length);
  } else if (issuer === "etcd-ca") {
    if (!ekus.includes(SERVER_AUTH)) {
      throw refuse(`the proof's certificate ${what} names no node; from etcd-ca only etcd's server or peer certificate (CN <node>) proves a node`);
    }
    node = cn;
  } else {
    throw refuse(`the proof's certificate ${what} is from ${issuer}, whose certificates name no node`);
  }

  const entry = nodes.find(node);
  if (!entry) throw refuse(`the proof's certificate ${what} names node ${node}, which the config does not list under nodes or any node group`);
  if (issuer === "etcd-ca" && entry.role !== "control-plane") {
    throw refuse(`the proof's certificate ${what} is an etcd certificate, but ${node} is a ${entry.role} node; only control-plane nodes run etcd`);
  }
  return { node, role: entry.role, commonName: cn };
}
