// `kubeca recover`: repair an install that a crash or power loss interrupted, before anything reads
// the files. infra/node/kubeca-recover.service runs it before the kubelet starts.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { busyLine, DEFAULT_KUBECONFIG_DIR, findInterruptedInstalls, lockNode, NodeBusyError, recoverInterruptedInstalls, takeoverLine } from "../../client/index.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_BUSY, EXIT_FAILURE, EXIT_OK } from "../exit-codes.js";
import { parseFlags } from "../flags.js";

const flags = {
  "kubeconfig-dir": { type: "string", default: DEFAULT_KUBECONFIG_DIR },
  "backup-dir": { type: "string" },
} as const;

export const recoverCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, flags);
    const backupRoot = values["backup-dir"] ?? join(values["kubeconfig-dir"], "tmp");
    const recovered = await runRecovery(backupRoot, io, "kubeca recover", "always");
    return recovered === "busy" ? EXIT_BUSY : recovered ? EXIT_OK : EXIT_FAILURE;
  },
};

/**
 * Recovers under `backupRoot` holding the node's lock, printing each repair; false (with the reason on
 * stderr) when it failed; "busy" (said on stderr) when a kubeca renew or recover holds the lock: a
 * running install is never rolled back, so nothing was done. No backup folder: nothing was ever
 * installed, nothing is written. `lock` "if-needed" (status, run by monitoring at any time) takes the
 * lock only when a read finds an install to repair, so that it never makes a renew starting at the
 * same instant give up; recover, run by hand or before the kubelet, always takes it.
 */
export async function runRecovery(backupRoot: string, io: CliIo, name: string, lock: "always" | "if-needed"): Promise<boolean | "busy"> {
  try {
    if (!(await stat(backupRoot).then(() => true, (e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? false : Promise.reject(e))))) return true;
    if (lock === "if-needed") {
      const found = await findInterruptedInstalls(backupRoot);
      if (!found.some((f) => !f.running)) {
        for (const f of found) io.stdout.write(`an install started on ${f.startedAt} is still running (${f.backupDir}); left alone\n`);
        return true;
      }
    }
    return await recoverLocked(backupRoot, io, name);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.stderr.write(
      `${name}: an interrupted install under ${backupRoot} could not be repaired (${code ?? (e as Error).message}); ` +
        `the certificates and keys may not match until 'kubeca recover' succeeds (run it as root)\n`,
    );
    return false;
  }
}

async function recoverLocked(backupRoot: string, io: CliIo, name: string): Promise<true | "busy"> {
  let lock;
  try {
    lock = await lockNode(backupRoot, name);
  } catch (e) {
    if (!(e instanceof NodeBusyError)) throw e;
    // status only reads after this: it says why nothing was repaired; recover refuses.
    io.stderr.write(name === "kubeca recover" ? `${name}: ${busyLine(e)}\n` : `${name}: ${e.message}; no interrupted install was repaired, that run handles its own (lock ${e.lockPath})\n`);
    return "busy";
  }
  try {
    const tookOver = takeoverLine(lock);
    if (tookOver) io.stderr.write(`${name}: ${tookOver}\n`);
    for (const line of await recoverInterruptedInstalls(backupRoot)) io.stdout.write(`${line}\n`);
  } finally {
    await lock.release();
  }
  return true;
}
