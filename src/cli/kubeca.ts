// The `kubeca` program: the one entry point every build of the CLI starts from (scripts/build.mjs).
// Only here are process.argv, the environment and the exit code touched.
import { EXIT_OK } from "./exit-codes.js";
import { main } from "./main.js";

const argv = process.argv.slice(2);
void main(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }).then((code) => {
  // serve and kubelet-signer keep the process alive through their sockets; other commands end here.
  if (code !== EXIT_OK || (argv[0] !== "serve" && argv[0] !== "kubelet-signer")) process.exitCode = code;
});
