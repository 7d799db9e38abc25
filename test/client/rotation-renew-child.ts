// `kubeca renew` as a process of its own, for ca-rotation-e2e.test.ts: runs the real command with the
// argv from a JSON file and sends itself SIGKILL just before the install's rename number `killAtRename`
// (1-based), as a crash or power loss would stop it: no finally, no exit handler, nothing after.
import { readFileSync } from "node:fs";
import { createRenewCommand } from "../../src/cli/commands/renew.js";

const plan = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as { argv: string[]; killAtRename: number };
let renames = 0;
const command = createRenewCommand({
  installHooks: {
    step(step) {
      if (step.op === "rename" && !step.to.includes("kubeca-backup-") && ++renames === plan.killAtRename) process.kill(process.pid, "SIGKILL");
    },
  },
});
const code = await command.run(plan.argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
process.exitCode = code;
