// `kubeca audit inventory`: the fleet view from the issuance log. One row per node and file with the
// latest certificate kubeca handed out, what expires first first, and an exit code for cron and
// monitoring, like `kubeca status` on a node.
import { readInventory, type InventoryRow } from "../../audit/index.js";
import { formatExpires, formatResidual } from "../../client/residual-time.js";
import type { CliCommand, CliIo } from "../command.js";
import { EXIT_FAILURE, EXIT_OK } from "../exit-codes.js";
import { parseDurationSeconds, parseFlags } from "../flags.js";
import { openReader, outputFormat } from "./audit.js";

const help = `Usage: kubeca audit inventory [--config FILE | --file PATH] [--expiring-within DUR] [--output json]

For every node and every file, the latest certificate kubeca handed out (issued, or handed back again
within the idempotency window), read from the audit log: serial, notAfter and the time left, what
expires first first. A newer certificate for the same node and file replaces the older one; a node
that stopped renewing keeps its last row and shows up as it comes near its end. Kubelet certificates
the kubelet signer signed are rows too: kubelet-serving, and kubelet.conf for the kubelet's client
certificate (whether kubeca's API or a node client CSR issued it).

Flags:
  --config FILE            read the store the kubeca config names (audit.store: file or dynamodb)
  --file PATH              read this JSONL file (a log, an export, or a saved stdout-mirror stream)
  --expiring-within DUR    count certificates expiring within DUR as due, e.g. 30d, 720h (default 0s:
                           only expired ones)
  --output FORMAT          text (default) or json
  -h, --help               show this help

Reads the whole log once (a file is streamed; a DynamoDB chain is queried page by page).

Exit codes: 0 nothing due; 1 a certificate expired or expires within --expiring-within, or a record
could not be read (it may have been a node's latest); 2 bad flags or config; 3 the store is unavailable.
`;

export interface AuditInventoryCommandDeps {
  readonly now?: () => Date;
}

interface Row extends InventoryRow {
  readonly secondsLeft: number;
  readonly due: boolean;
}

function table(rows: readonly Row[], now: Date): string {
  const cells = rows.map((r) => [r.node, r.file, formatExpires(new Date(r.notAfter)), formatResidual(Date.parse(r.notAfter) - now.getTime()), r.serial, r.issuedAt]);
  const header = ["NODE", "FILE", "EXPIRES", "RESIDUAL TIME", "SERIAL", "ISSUED"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells].map((c) => c.map((cell, i) => (i === c.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

export function createAuditInventoryCommand(deps: AuditInventoryCommandDeps = {}): CliCommand {
  return {
    path: ["audit", "inventory"],
    summary: "latest certificate per node and file from the audit log, soonest expiry first; non-zero exit when one is due",
    help,
    async run(argv: string[], io: CliIo): Promise<number> {
      const { values } = parseFlags(argv, {
        config: { type: "string" },
        file: { type: "string" },
        "expiring-within": { type: "string", default: "0s" },
        output: { type: "string", default: "text" },
      });
      const output = outputFormat(values.output);
      const window = values["expiring-within"];
      const windowSeconds = parseDurationSeconds(window, "--expiring-within");
      const reader = await openReader(values, io);
      const { inventory, unreadable } = await readInventory(reader);
      const now = (deps.now ?? (() => new Date()))();
      const rows: Row[] = inventory.rows().map((r) => {
        const secondsLeft = Math.floor((Date.parse(r.notAfter) - now.getTime()) / 1000);
        return { ...r, secondsLeft, due: secondsLeft <= windowSeconds };
      });
      const due = rows.filter((r) => r.due);

      if (output === "json") {
        const body = { now: now.toISOString(), expiringWithinSeconds: windowSeconds, certificates: rows, unreadable };
        io.stdout.write(JSON.stringify(body, null, 2) + "\n");
      } else {
        io.stdout.write(rows.length ? table(rows, now) : "no certificates in the audit log\n");
      }
      if (due.length > 0) {
        const names = due.map((r) => `${r.node} ${r.file}${r.secondsLeft < 0 ? " (expired)" : ""}`);
        io.stderr.write(`kubeca audit inventory: ${due.length} certificate(s) expired or expiring within ${window}: ${names.join(", ")}\n`);
      }
      if (unreadable.length > 0) {
        io.stderr.write(`kubeca audit inventory: ${unreadable.length} record(s) could not be read (${unreadable.slice(0, 5).join(", ")}); the rows may miss a node's latest certificate; run kubeca audit verify\n`);
      }
      return due.length > 0 || unreadable.length > 0 ? EXIT_FAILURE : EXIT_OK;
    },
  };
}

export const auditInventoryCommand: CliCommand = createAuditInventoryCommand();
