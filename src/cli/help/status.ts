// `kubeca status --help`.
import { DEFAULT_CERT_DIR, DEFAULT_KUBECONFIG_DIR } from "../../client/node-paths.js";

export const statusHelp = `Usage: kubeca status [--cert-dir DIR] [--kubeconfig-dir DIR] [--backup-dir DIR] [--output text|json] [--warn-within DUR]

Shows the two tables of 'kubeadm certs check-expiration' for this node: every certificate and
kubeconfig client certificate (CERTIFICATE, EXPIRES, RESIDUAL TIME, CERTIFICATE AUTHORITY, EXTERNALLY
MANAGED), then the CAs. Missing files show as !MISSING! <name>. kubelet.conf is left out, as kubeadm
does: the kubelet rotates its own client certificate. super-admin.conf exists only on the node where
'kubeadm init' ran; its absence is shown but never counts as due.

First, an install that a crash or power loss interrupted is rolled back, as 'kubeca recover' does
(the repair is printed on stderr), so that the table shows the files the node will really use. It
takes the node's lock only to repair; while a kubeca renew holds it, the repair is left to that renew.

Flags:
  --cert-dir DIR        default ${DEFAULT_CERT_DIR}
  --kubeconfig-dir DIR  default ${DEFAULT_KUBECONFIG_DIR}
  --backup-dir DIR      where kubeca renew keeps backups and journals (default <kubeconfig-dir>/tmp)
  --output text|json    json is kubeadm's output.kubeadm.k8s.io/v1alpha3 CertificateExpirationInfo
  --warn-within DUR     count certificates expiring within DUR as due, e.g. 30d, 720h (default 0s)

Exit codes: 0 nothing due; 1 a certificate or kubeconfig is missing, unreadable, expired or expires
within --warn-within (kubeca renew fixes it), or an interrupted install could not be repaired (run
kubeca recover as root); 2 bad flags; 4 only a CA expires within the window
(renewal cannot fix that: replace the CA).
`;
