// The installer as a process of its own, for install-crash.test.ts: reads a plan (a JSON file), makes
// the backup folder and installs, counting every announced step; at step `killAt` it sends itself
// SIGKILL, as a crash would stop it: nothing after that point runs, no finally, no exit handler. At
// step `pauseAt` it prints "paused" and waits forever (an install still running, for another process).
import { readFileSync } from "node:fs";
import { createBackupDir, installAtomically } from "../../src/client/atomic-install.js";
import type { FileWrite } from "../../src/client/install-plan.js";

const plan = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as { backupRoot: string; writes: FileWrite[]; killAt: number; pauseAt?: number };
let steps = 0;
const hooks = {
  step(): Promise<void> | void {
    if (++steps === plan.killAt) process.kill(process.pid, "SIGKILL");
    if (steps === plan.pauseAt) {
      process.stdout.write("paused\n");
      return new Promise(() => setInterval(() => undefined, 60_000));
    }
  },
};
const backupDir = await createBackupDir(plan.backupRoot, new Date(), hooks);
await installAtomically(plan.writes, backupDir, hooks);
process.stdout.write(JSON.stringify({ steps }) + "\n");
