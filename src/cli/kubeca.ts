// The `kubeca` program: the one entry point every build of the CLI starts from (scripts/build.mjs).
// Only here are process.argv, the environment and the exit code touched.
import cluster from "node:cluster";
import { main } from "./main.js";

void main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then((code) => {
  // Only the exit code: serve and kubelet-signer go on running through their open sockets.
  process.exitCode = code;
  // A serve worker that failed must not live on through its IPC channel: its primary waits for it to
  // listen or exit, and reports the exit.
  if (code !== 0 && cluster.isWorker && process.connected) process.disconnect();
});
