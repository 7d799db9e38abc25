// `kubeca audit inventory`: the fleet view from the issuance log. One row per node and file with the
// latest certificate kubeca handed out, what expires first first, and an exit code for cron and
// monitoring, like `kubeca status` on a node.
import { readInventory, type InventoryRow } from "../../audit/index.js";
import { formatExpires, formatResidual } from "../../client/residual-time.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_FAILURE, EXIT_OK } from "../exit-codes.js";
import { parseDurationSeconds, parseFlags } from "../flags.js";
import { openReader, outputFormat } from "./audit.js";

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

export function createAuditInventoryCommand(deps: AuditInventoryCommandDeps = {}): CommandRunner {
  return {
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

export const auditInventoryCommand: CommandRunner = createAuditInventoryCommand();
