// `kubeca recover --help`.
import { DEFAULT_KUBECONFIG_DIR } from "../../client/node-paths.js";

export const recoverHelp = `Usage: kubeca recover [--kubeconfig-dir DIR] [--backup-dir DIR]

Repairs what a crash or power loss left in the middle of 'kubeca renew's install, from the install's
journal and backup: an install cut off during its renames is rolled back to the whole old set (every
key matches its certificate again, and the next renewal starts over); the temporary files of one cut
off before are removed. An install still running in another process is left alone. Nothing else is
read or written. Run it before the kubelet starts (infra/node/kubeca-recover.service does); kubeca
renew and kubeca status repair the same way before they do anything else. It holds the node's lock
(<backup-dir>/kubeca.lock) while it repairs, so it never rolls back under a running kubeca renew.

Flags:
  --kubeconfig-dir DIR  default ${DEFAULT_KUBECONFIG_DIR}
  --backup-dir DIR      where kubeca renew keeps its backups and journals (default <kubeconfig-dir>/tmp)

Exit codes: 0 nothing to repair, or repaired (each repair is printed); 1 a repair failed: stderr says
which backup and why, and the files may not match until it succeeds; 5 a kubeca renew or recover holds
the lock (stderr names it): nothing was done, run again once it has finished.
`;
