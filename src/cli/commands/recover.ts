// `kubeca recover`: repair an install that a crash or power loss interrupted, before anything reads
// the files. infra/node/kubeca-recover.service runs it before the kubelet starts.
import { join } from "node:path";
import { DEFAULT_KUBECONFIG_DIR, recoverInterruptedInstalls } from "../../client/index.js";
import type { CliCommand, CliIo } from "../command.js";
import { EXIT_FAILURE, EXIT_OK } from "../exit-codes.js";
import { parseFlags } from "../flags.js";

const help = `Usage: kubeca recover [--kubeconfig-dir DIR] [--backup-dir DIR]

Repairs what a crash or power loss left in the middle of 'kubeca renew's install, from the install's
journal and backup: an install cut off during its renames is rolled back to the whole old set (every
key matches its certificate again, and the next renewal starts over); the temporary files of one cut
off before are removed. An install still running in another process is left alone. Nothing else is
read or written. Run it before the kubelet starts (infra/node/kubeca-recover.service does); kubeca
renew and kubeca status repair the same way before they do anything else.

Flags:
  --kubeconfig-dir DIR  default ${DEFAULT_KUBECONFIG_DIR}
  --backup-dir DIR      where kubeca renew keeps its backups and journals (default <kubeconfig-dir>/tmp)

Exit codes: 0 nothing to repair, or repaired (each repair is printed); 1 a repair failed: stderr says
which backup and why, and the files may not match until it succeeds.
`;

const flags = {
  "kubeconfig-dir": { type: "string", default: DEFAULT_KUBECONFIG_DIR },
  "backup-dir": { type: "string" },
} as const;

export const recoverCommand: CliCommand = {
  path: ["recover"],
  summary: "roll back a certificate install a crash interrupted (run before the kubelet starts)",
  help,
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, flags);
    const backupRoot = values["backup-dir"] ?? join(values["kubeconfig-dir"], "tmp");
    return (await runRecovery(backupRoot, io, "kubeca recover")) ? EXIT_OK : EXIT_FAILURE;
  },
};

/** Recovers under `backupRoot`, printing each repair; false (with the reason on stderr) when it failed. */
export async function runRecovery(backupRoot: string, io: CliIo, name: string): Promise<boolean> {
  try {
    for (const line of await recoverInterruptedInstalls(backupRoot)) io.stdout.write(`${line}\n`);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.stderr.write(
      `${name}: an interrupted install under ${backupRoot} could not be repaired (${code ?? (e as Error).message}); ` +
        `the certificates and keys may not match until 'kubeca recover' succeeds (run it as root)\n`,
    );
    return false;
  }
}
