// `kubeca renew --help`.
import { DEFAULT_CERT_DIR, DEFAULT_KUBECONFIG_DIR, DEFAULT_MANIFEST_DIR } from "../../client/node-paths.js";

export const renewHelp = `Usage: kubeca renew --server URL (--token-file FILE | --proof-cert FILE [--proof-key FILE]) [flags]

Gets every CSR that 'kubeadm certs generate-csr' (or the legacy --csr-only) left on this node signed by
the kubeca service in one request, verifies each certificate, and installs certificates and kubeconfigs
atomically. Nothing is installed unless every file succeeds (see --allow-partial).

It also makes the node trust what the service says (GET /v1/ca), with or without CSRs: during a CA
rotation (docs/ca-rotation.md) each CA file becomes the service's bundle, the CA that issued this
node's certificates first; every kubeadm kubeconfig's certificate-authority-data follows ca.crt; and
while ca.crt is a bundle, kube-controller-manager's --client-ca-file points at a one-certificate copy
(<cert-dir>/kubeca-kcm-client-ca.crt, in <manifest-dir>/kube-controller-manager.yaml). A CA file is
never changed so that a certificate on the node would stop chaining. Trust files are part of the same
crash-safe install. After each run the node reports what it trusts and holds to the service, for
kubeca ca rotate status.

One run at a time: renew (except --dry-run) holds the node's lock, <backup-dir>/kubeca.lock, from before
it reads the pki folder until its install is finished or rolled back; a second renew or a kubeca recover
meanwhile exits 5 naming it. The kernel releases the lock when its holder dies (kill, crash): the next
run takes it over and says so.

Where CSRs are found:
  <cert-dir>/<base>.csr next to <base>.key, <kubeconfig-dir>/<file>.csr next to the partial kubeconfig
  (generate-csr run in place, first setup); and with --csr-dir DIR either generate-csr output staged with
  '--cert-dir DIR/pki --kubeconfig-dir DIR' (renewal of a running node) or the legacy flat layout
  (DIR/<name>.csr + DIR/<name>.key, e.g. etcd-server.key, admin.conf.key).

Flags:
  --server URL              the kubeca service (https://; http:// only to loopback)
  --token-file FILE         bearer token for the service
  --proof-cert FILE         instead of a token: sign every request with this current certificate that kubeca
                            issued to the node, e.g. /var/lib/kubelet/pki/kubelet-client-current.pem
  --proof-key FILE          its private key (default: the key in the --proof-cert file, as the kubelet keeps it)
  --ca-file FILE            CA certificate(s) to trust for the service's TLS certificate (default: system store)
  --cert-dir DIR            default ${DEFAULT_CERT_DIR}
  --kubeconfig-dir DIR      default ${DEFAULT_KUBECONFIG_DIR}
  --csr-dir DIR             staged generate-csr output, or the legacy --csr-only folder
  --only NAME[,NAME]        only these files (repeatable): apiserver, etcd/server, admin.conf, legacy etcd-server ...
  --dry-run                 check CSRs, keys and CAs (reads GET /v1/ca), sign nothing, write nothing
  --output text|json        report format on stdout (progress always goes to stderr)
  --keep-csr                keep the CSR files (and staged/legacy keys) after a successful install
  --allow-partial           install the files that succeeded even if others failed (exit code stays 1)
  --backup-dir DIR          where backups of replaced files go (default <kubeconfig-dir>/tmp)
  --restart-static-pods     restart etcd, kube-apiserver, kube-controller-manager, kube-scheduler as needed,
                            one at a time, by moving each manifest out and back
  --manifest-dir DIR        the kubelet's static pod folder (default ${DEFAULT_MANIFEST_DIR})
  --file-check-period DUR   how long the kubelet takes to notice a manifest change (default 20s)
  --kubelet-pki-dir DIR     the kubelet's certificates, reported to the service (default /var/lib/kubelet/pki)

Exit codes: 0 installed, or nothing to renew, or dry run passed; 1 a file failed (nothing installed,
or only part with --allow-partial); 2 bad flags; 3 the service is unreachable or unavailable; 5 another
kubeca renew or recover is running on this node (stderr names it): nothing was done.
`;
