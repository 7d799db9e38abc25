// `kubeca node retire NAME --reason TEXT`: a thin client of POST /v1/nodes/{name}/retire. The service
// owns the audit log, so it decides (a node still in the config is refused) and records node-retired;
// from then on the node's certificates are out of kubeca audit inventory and the expiry gauges.
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_OK } from "../exit-codes.js";
import { parseFlags, UsageError } from "../flags.js";
import { connect, CONNECTION_FLAGS, unreachable } from "../service-connection.js";

const runner: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseFlags(argv, { ...CONNECTION_FLAGS, reason: { type: "string" }, output: { type: "string", default: "text" } }, true);
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? "the node's NAME is required (as kubeca audit inventory lists it)" : `one node at a time, not ${positionals.length}: ${positionals.join(" ")}`);
    const node = positionals[0]!;
    const reason = values.reason?.trim();
    if (!reason) throw new UsageError("--reason TEXT is required: why the node is retired (recorded in the audit log)");
    if (values.output !== "text" && values.output !== "json") throw new UsageError(`--output must be text or json, not ${values.output}`);
    const client = await connect(values, io);
    const retired = await client.retireNode(node, reason);
    if (values.output === "json") {
      io.stdout.write(JSON.stringify({ retired }, null, 2) + "\n");
      return EXIT_OK;
    }
    io.stdout.write(`${retired.node}: retired (audit record ${retired.seq}, ${retired.time}); ${retired.certificates.length} certificate(s) left the fleet view:\n`);
    for (const c of retired.certificates) io.stdout.write(`  ${c.file}  serial ${c.serial}  expires ${c.notAfter}\n`);
    io.stdout.write("A certificate issued to this node from now on brings it back.\n");
    return EXIT_OK;
  },
};

export const nodeRetireCommand: CommandRunner = {
  run: (argv, io) => runner.run(argv, io).catch((e: unknown) => unreachable(io, "node retire", e)),
};
