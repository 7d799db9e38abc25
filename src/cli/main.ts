// `kubeca <command>`: find the command in the table, load and run it, turn errors into a message and an
// exit code. The table holds only text and loaders: `kubeca --help` and `kubeca <command> --help` import
// no command module, so they start without the AWS SDK, fastify or the Kubernetes client.
import { ERRORS, isKubecaError } from "../errors/index.js";
import type { CliCommand, CliIo } from "./command.js";
import { EXIT_CODES, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./exit-codes.js";
import { UsageError } from "./flags.js";
import { auditExportHelp, auditInventoryHelp, auditListHelp, auditVerifyHelp } from "./help/audit.js";
import { caInitHelp, caShowHelp } from "./help/ca.js";
import { caKeygenHelp } from "./help/ca-keygen.js";
import { caRotateAbortHelp, caRotateAdvanceHelp, caRotatePrepareHelp, caRotateStatusHelp } from "./help/ca-rotate.js";
import { kubeletSignerHelp } from "./help/kubelet-signer.js";
import { nodeRetireHelp } from "./help/node.js";
import { policyCheckHelp } from "./help/policy-check.js";
import { recoverHelp } from "./help/recover.js";
import { renewHelp } from "./help/renew.js";
import { serveHelp } from "./help/serve.js";
import { statusHelp } from "./help/status.js";
import { tokenCreateHelp } from "./help/token.js";
import { versionHelp } from "./help/version.js";
import { describeSystemError } from "./system-errors.js";
import { writeErrorDetail } from "./error-detail.js";

export const COMMANDS: readonly CliCommand[] = [
  { path: ["serve"], summary: "run the signing service", help: serveHelp, load: async () => (await import("./commands/serve.js")).serveCommand },
  { path: ["ca", "init"], summary: "create the CA certificates through their signers (KMS keys stay in KMS)", help: caInitHelp, load: async () => (await import("./commands/ca.js")).caInitCommand },
  { path: ["ca", "show"], summary: "print the CA certificates: subject, key, fingerprint, validity", help: caShowHelp, load: async () => (await import("./commands/ca.js")).caShowCommand },
  { path: ["ca", "keygen"], summary: "create a CA key pair inside a PKCS#11 token and print its signer config", help: caKeygenHelp, load: async () => (await import("./commands/ca-keygen.js")).caKeygenCommand },
  { path: ["ca", "rotate", "prepare"], summary: "start rotating a CA to its configured next CA: nodes then trust both (idle → trust-both)", help: caRotatePrepareHelp, load: async () => (await import("./commands/ca-rotate.js")).caRotatePrepareCommand },
  { path: ["ca", "rotate", "advance"], summary: "move a CA rotation one phase on (trust-both → sign-new → finish) once the nodes are ready", help: caRotateAdvanceHelp, load: async () => (await import("./commands/ca-rotate.js")).caRotateAdvanceCommand },
  { path: ["ca", "rotate", "abort"], summary: "move a CA rotation one phase back", help: caRotateAbortHelp, load: async () => (await import("./commands/ca-rotate.js")).caRotateAbortCommand },
  { path: ["ca", "rotate", "status"], summary: "show each CA's rotation phase, which nodes have followed it, and whether it is safe to advance", help: caRotateStatusHelp, load: async () => (await import("./commands/ca-rotate.js")).caRotateStatusCommand },
  { path: ["renew"], summary: "get this node's kubeadm CSRs signed and install certificates and kubeconfigs atomically", help: renewHelp, load: async () => (await import("./commands/renew.js")).renewCommand },
  { path: ["status"], summary: "show certificate expiry like kubeadm certs check-expiration; non-zero exit when renewal is due", help: statusHelp, load: async () => (await import("./commands/status.js")).statusCommand },
  { path: ["recover"], summary: "roll back a certificate install a crash interrupted (run before the kubelet starts)", help: recoverHelp, load: async () => (await import("./commands/recover.js")).recoverCommand },
  { path: ["kubelet-signer"], summary: "approve and sign kubelet serving CSRs, sign node client CSRs", help: kubeletSignerHelp, load: async () => (await import("./commands/kubelet-signer.js")).kubeletSignerCommand },
  { path: ["audit", "list"], summary: "list audit records, newest first (filters: time, node, serial, event)", help: auditListHelp, load: async () => (await import("./commands/audit.js")).auditListCommand },
  { path: ["audit", "verify"], summary: "prove the audit log complete and untampered (hash chain and signed checkpoints)", help: auditVerifyHelp, load: async () => (await import("./commands/audit.js")).auditVerifyCommand },
  { path: ["audit", "export"], summary: "export audit records as JSONL or CSV", help: auditExportHelp, load: async () => (await import("./commands/audit.js")).auditExportCommand },
  { path: ["audit", "inventory"], summary: "latest certificate per node and file from the audit log, soonest expiry first; non-zero exit when one is due", help: auditInventoryHelp, load: async () => (await import("./commands/audit-inventory.js")).auditInventoryCommand },
  { path: ["node", "retire"], summary: "retire a node gone from the cluster: its certificates leave the audit inventory and the expiry gauges", help: nodeRetireHelp, load: async () => (await import("./commands/node-retire.js")).nodeRetireCommand },
  { path: ["policy", "check"], summary: "validate a config and print, per node and node group, the files and SANs it allows", help: policyCheckHelp, load: async () => (await import("./commands/policy-check.js")).policyCheckCommand },
  { path: ["token", "create"], summary: "make a bearer token for a node or an auditor, and the config entry with its SHA-256", help: tokenCreateHelp, load: async () => (await import("./commands/token.js")).tokenCreateCommand },
  { path: ["version"], summary: "print the version, git commit, Node.js version and build target", help: versionHelp, load: async () => (await import("./commands/version.js")).versionCommand },
];

function commandList(commands: readonly CliCommand[]): string[] {
  const width = Math.max(...commands.map((c) => c.path.join(" ").length));
  return commands.map((c) => `  ${c.path.join(" ").padEnd(width)}  ${c.summary}`);
}

function overview(): string {
  return [
    "kubeca — external certificate authority for kubeadm clusters (CA keys in AWS KMS)",
    "",
    "Usage: kubeca <command> [flags]",
    "",
    "Commands:",
    ...commandList(COMMANDS),
    "",
    "Run 'kubeca <command> --help' for a command's flags; 'kubeca --version' for the version.",
    "Every command takes --debug: an unexpected error then prints its stack trace.",
    "Every build holds every command: the npm package, the image, dist/kubeca.cjs and the single executable.",
    "",
  ].join("\n");
}

/** `kubeca audit --help`: the subcommands under a group word. */
function groupHelp(group: string, members: readonly CliCommand[]): string {
  return [`Usage: kubeca ${group} <subcommand> [flags]`, "", "Subcommands:", ...commandList(members), "", `Run 'kubeca ${group} <subcommand> --help' for its flags.`, ""].join("\n");
}

const isHelp = (word: string | undefined) => word === "--help" || word === "-h";

export async function main(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || isHelp(argv[0]) || argv[0] === "help") {
    io.stdout.write(overview());
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  if (argv[0] === "--version" || argv[0] === "-v") argv = ["version", ...argv.slice(1)];
  // Longest matching command path wins.
  const command = [...COMMANDS]
    .sort((a, b) => b.path.length - a.path.length)
    .find((c) => c.path.every((word, i) => argv[i] === word));
  if (!command) {
    const members = COMMANDS.filter((c) => c.path.length > 1 && c.path[0] === argv[0]);
    if (members.length > 0 && (argv.length === 1 || isHelp(argv[1]))) {
      io[argv.length === 1 ? "stderr" : "stdout"].write(groupHelp(argv[0]!, members));
      return argv.length === 1 ? EXIT_USAGE : EXIT_OK;
    }
    io.stderr.write(`kubeca: unknown command "${argv.slice(0, members.length > 0 ? 2 : 1).join(" ")}"\n\n${overview()}`);
    return EXIT_USAGE;
  }
  const rest = argv.slice(command.path.length);
  if (rest.some(isHelp)) {
    io.stdout.write(command.help.endsWith("\n") ? command.help : command.help + "\n");
    return EXIT_OK;
  }
  try {
    const runner = await command.load();
    return await runner.run(rest, io);
  } catch (e) {
    return reportError(e, command, io, rest.includes("--debug"));
  }
}

/**
 * One message per failure, never a stack trace unless asked for: usage errors, kubeca's own errors
 * (title, detail, fix), the operating system's (file missing, permission denied, port in use,
 * server unreachable), and last anything unexpected (one line, the trace kept in a file or --debug).
 */
export function reportError(e: unknown, command: CliCommand | undefined, io: CliIo, debug = false): number {
  const name = command ? `kubeca ${command.path.join(" ")}` : "kubeca";
  if (e instanceof UsageError) {
    io.stderr.write(`${name}: ${e.message}\nRun '${name} --help' for usage.\n`);
    return EXIT_USAGE;
  }
  if (isKubecaError(e)) {
    const spec = ERRORS[e.code];
    // A file that cannot be read is not fixed by editing its fields: say what the system said.
    const system = describeSystemError(e.cause);
    io.stderr.write(`${name}: ${spec.title}: ${e.detail}\n`);
    for (const v of e.violations) io.stderr.write(`  - ${v.field}: ${v.message} [${v.rule}]\n`);
    io.stderr.write(`hint: ${system ? system.hint : spec.fix}\n`);
    return system ? system.exitCode : EXIT_CODES[e.code];
  }
  const system = describeSystemError(e);
  if (system) {
    io.stderr.write(`${name}: ${system.message}\nhint: ${system.hint}\n`);
    return system.exitCode;
  }
  const error = e instanceof Error ? e : new Error(String(e));
  if (debug) {
    io.stderr.write(`${name}: unexpected error: ${error.stack ?? error.message}\n`);
    return EXIT_FAILURE;
  }
  const file = writeErrorDetail(name, error);
  io.stderr.write(`${name}: unexpected error: ${error.message.split("\n")[0]}\n`);
  io.stderr.write(file ? `the full detail is in ${file}; run again with --debug to print it\n` : "run again with --debug for the full detail\n");
  return EXIT_FAILURE;
}
