// `kubeca ca rotate prepare|advance|abort|status`: thin clients of the service's rotation routes. The
// service decides and records; the command names the phase it saw, so that a phase moved meanwhile
// (another operator) is refused instead of skipped.
import { CaName, type RotationAction } from "../../config/index.js";
import type { RotationStatus } from "../../issuance/types.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_OK } from "../exit-codes.js";
import { parseFlags, UsageError } from "../flags.js";
import { connect, CONNECTION_FLAGS, unreachable } from "../service-connection.js";

const CONNECTION = { ...CONNECTION_FLAGS, ca: { type: "string" } } as const;

function caFlag(value: string | undefined, required: boolean): CaName | undefined {
  if (value === undefined) {
    if (required) throw new UsageError("--ca NAME is required (ca, etcd-ca, front-proxy-ca)");
    return undefined;
  }
  const parsed = CaName.safeParse(value);
  if (!parsed.success) throw new UsageError(`--ca ${value}: not a CA name (ca, etcd-ca, front-proxy-ca)`);
  return parsed.data;
}

function changeCommand(action: RotationAction): CommandRunner {
  const runner = changeRunner(action);
  return { run: (argv, io) => runner.run(argv, io).catch((e: unknown) => unreachable(io, `ca rotate ${action}`, e)) };
}

function changeRunner(action: RotationAction): CommandRunner {
  return {
    async run(argv: string[], io: CliIo): Promise<number> {
      const { values } = parseFlags(argv, { ...CONNECTION, ...(action === "prepare" ? {} : { force: { type: "boolean", default: false } }) });
      const ca = caFlag(values.ca, true)!;
      const client = await connect(values, io);
      const status = (await client.rotationStatus()).find((s) => s.name === ca);
      if (!status) throw new UsageError(`--ca ${ca}: the service has no ${ca} configured`);
      const force = (values as { force?: boolean }).force === true;
      const summary = await client.changeRotation({ ca, action, expect: status.phase, ...(force ? { force: true } : {}) });
      const phase = summary.rotation?.phase ?? "idle";
      io.stdout.write(`${ca}: ${status.phase} → ${phase}${force ? " (forced)" : ""}\n`);
      io.stdout.write(`${nextSteps(phase)}\n`);
      return EXIT_OK;
    },
  };
}

function nextSteps(phase: string): string {
  switch (phase) {
    case "trust-both":
      return "next: run kubeca renew on every node (it installs the bundle of both CAs), then kubeca ca rotate status until it is safe to advance";
    case "sign-new":
      return "next: renew every certificate on every node (kubeadm certs generate-csr into a staging folder, kubeca renew --csr-dir), then kubeca ca rotate status";
    case "finish":
      return "next: run kubeca renew on every node (it drops the old CA from the bundles), then make cas.<name>.next the current CA in the config and restart the service";
    default:
      return "next: run kubeca renew on every node (it drops the next CA from the bundles)";
  }
}

export const caRotatePrepareCommand = changeCommand("prepare");
export const caRotateAdvanceCommand = changeCommand("advance");
export const caRotateAbortCommand = changeCommand("abort");

export const caRotateStatusCommand: CommandRunner = {
  run: (argv, io) => statusRunner.run(argv, io).catch((e: unknown) => unreachable(io, "ca rotate status", e)),
};

const statusRunner: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, { ...CONNECTION, output: { type: "string", default: "text" } });
    if (values.output !== "text" && values.output !== "json") throw new UsageError(`--output must be text or json, not ${values.output}`);
    const only = caFlag(values.ca, false);
    const client = await connect(values, io);
    const all = (await client.rotationStatus()).filter((s) => only === undefined || s.name === only);
    if (values.output === "json") io.stdout.write(JSON.stringify({ cas: all }, null, 2) + "\n");
    else io.stdout.write(all.map(formatStatus).join("\n"));
    return EXIT_OK;
  },
};

function formatStatus(s: RotationStatus): string {
  const lines = [`${s.name}: ${s.phase}${s.since ? ` since ${s.since}` : ""}`, `  current ${s.current}`];
  if (s.next) lines.push(`  next    ${s.next}`);
  else lines.push("  no next CA configured (cas.<name>.next)");
  if (s.nodes.length > 0) {
    const width = Math.max(4, ...s.nodes.map((n) => n.node.length));
    lines.push(`  ${"NODE".padEnd(width)}  REPORTED              TRUSTS        FROM CURRENT  FROM NEXT`);
    for (const n of s.nodes) {
      const trusts = [n.trustsCurrent ? "current" : "", n.trustsNext ? "next" : ""].filter(Boolean).join("+") || "-";
      lines.push(`  ${n.node.padEnd(width)}  ${(n.reportedAt ?? "never").padEnd(20)}  ${trusts.padEnd(12)}  ${String(n.fromCurrent.length).padEnd(12)}  ${n.fromNext.length}`);
    }
  }
  if (s.advance) {
    if (s.advance.blocking.length === 0) lines.push(`  safe to advance to ${s.advance.to}`);
    else {
      lines.push(`  not yet safe to advance to ${s.advance.to}:`);
      for (const v of s.advance.blocking) lines.push(`    - ${v.message} [${v.rule}]`);
    }
  }
  return lines.join("\n") + "\n";
}
