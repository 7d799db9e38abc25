// `kubeca <command>`: find the command, run it, turn errors into a message and an exit code.
import { ERRORS, isKubecaError } from "../errors/index.js";
import type { CliCommand, CliIo } from "./command.js";
import { auditCommands } from "./commands/audit.js";
import { auditInventoryCommand } from "./commands/audit-inventory.js";
import { caInitCommand, caShowCommand } from "./commands/ca.js";
import { caKeygenCommand } from "./commands/ca-keygen.js";
import { kubeletSignerCommand } from "./commands/kubelet-signer.js";
import { policyCheckCommand } from "./commands/policy-check.js";
import { renewCommand } from "./commands/renew.js";
import { serveCommand } from "./commands/serve.js";
import { statusCommand } from "./commands/status.js";
import { EXIT_CODES, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./exit-codes.js";
import { UsageError } from "./flags.js";

export const COMMANDS: readonly CliCommand[] = [
  serveCommand,
  caInitCommand,
  caShowCommand,
  caKeygenCommand,
  renewCommand,
  statusCommand,
  kubeletSignerCommand,
  ...auditCommands,
  auditInventoryCommand,
  policyCheckCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.path.join(" ").length));
  return [
    "kubeca — external certificate authority for kubeadm clusters (CA keys in AWS KMS)",
    "",
    "Usage: kubeca <command> [flags]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.path.join(" ").padEnd(width)}  ${c.summary}`),
    "",
    "Run 'kubeca <command> --help' for a command's flags.",
    "",
  ].join("\n");
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    io.stdout.write(overview());
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  // Longest matching command path wins (`ca init` before a hypothetical `ca`).
  const command = [...COMMANDS]
    .sort((a, b) => b.path.length - a.path.length)
    .find((c) => c.path.every((word, i) => argv[i] === word));
  if (!command) {
    io.stderr.write(`kubeca: unknown command "${argv.slice(0, 2).join(" ")}"\n\n${overview()}`);
    return EXIT_USAGE;
  }
  const rest = argv.slice(command.path.length);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(command.help.endsWith("\n") ? command.help : command.help + "\n");
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    return reportError(e, command, io);
  }
}

export function reportError(e: unknown, command: CliCommand | undefined, io: CliIo): number {
  const name = command ? `kubeca ${command.path.join(" ")}` : "kubeca";
  if (e instanceof UsageError) {
    io.stderr.write(`${name}: ${e.message}\nRun '${name} --help' for usage.\n`);
    return EXIT_USAGE;
  }
  if (isKubecaError(e)) {
    const spec = ERRORS[e.code];
    io.stderr.write(`${name}: ${spec.title}: ${e.detail}\n`);
    for (const v of e.violations) io.stderr.write(`  - ${v.field}: ${v.message} [${v.rule}]\n`);
    io.stderr.write(`hint: ${spec.fix}\n`);
    return EXIT_CODES[e.code];
  }
  io.stderr.write(`${name}: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
  return EXIT_FAILURE;
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"));
if (isEntryPoint) {
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
  // serve keeps the process alive through its listening socket; other commands end here.
  if (code !== EXIT_OK || !process.argv.slice(2).includes("serve")) process.exitCode = code;
}
