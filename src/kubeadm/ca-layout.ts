// kubeadm's three CAs (spec §1.1): each one's subject CN and where its certificate lives under the
// pki folder. Used by `kubeca ca init/show`, the development CA and the node client.
import type { CaName } from "../config/index.js";

/** The subject CN kubeadm gives each CA. */
export const CA_COMMON_NAMES: Readonly<Record<CaName, string>> = Object.freeze({
  ca: "kubernetes",
  "etcd-ca": "etcd-ca",
  "front-proxy-ca": "front-proxy-ca",
});

/** Each CA certificate's path relative to the pki folder (`--cert-dir`). */
export const CA_FILES: Readonly<Record<CaName, string>> = Object.freeze({
  ca: "ca.crt",
  "etcd-ca": "etcd/ca.crt",
  "front-proxy-ca": "front-proxy-ca.crt",
});
