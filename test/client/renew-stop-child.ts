// `kubeca renew` as a process of its own, for renew-lock.test.ts: runs the real command with the argv
// given after the script and sends itself SIGSTOP at its install's first step (before the backup folder
// and journal exist), so a test can look at the node while a renew is between signing and installing.
// SIGCONT lets it finish; SIGKILL ends it there, as a crash would.
import { createRenewCommand } from "../../src/cli/commands/renew.js";

let stopped = false;
const command = createRenewCommand({
  installHooks: {
    step() {
      if (stopped) return;
      stopped = true;
      process.kill(process.pid, "SIGSTOP");
    },
  },
});
process.exitCode = await command.run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
