// `kubeca recover`: repair an install that a crash or power loss interrupted, before anything reads
// the files. infra/node/kubeca-recover.service runs it before the kubelet starts.
import { join } from "node:path";
import { DEFAULT_KUBECONFIG_DIR, recoverInterruptedInstalls } from "../../client/index.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_FAILURE, EXIT_OK } from "../exit-codes.js";
import { parseFlags } from "../flags.js";

const flags = {
  "kubeconfig-dir": { type: "string", default: DEFAULT_KUBECONFIG_DIR },
  "backup-dir": { type: "string" },
} as const;

export const recoverCommand: CommandRunner = {
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
