// `kubeca status`: kubeadm's check-expiration tables for this node, with an exit code for cron and
// monitoring. An install a crash interrupted is repaired first (as kubeca recover does), so the table
// shows what the node will run with; if it cannot be, status says so and exits 1.
import { join } from "node:path";
import {
  authoritiesDue,
  certificatesDue,
  DEFAULT_CERT_DIR,
  DEFAULT_KUBECONFIG_DIR,
  expirationInfo,
  readExpirationStatus,
  renderExpirationTables,
} from "../../client/index.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_CA_EXPIRING, EXIT_FAILURE, EXIT_OK } from "../exit-codes.js";
import { parseDurationSeconds, parseFlags, UsageError } from "../flags.js";
import { runRecovery } from "./recover.js";

export interface StatusCommandDeps {
  readonly now?: () => Date;
}

const flags = {
  "cert-dir": { type: "string", default: DEFAULT_CERT_DIR },
  "kubeconfig-dir": { type: "string", default: DEFAULT_KUBECONFIG_DIR },
  "backup-dir": { type: "string" },
  output: { type: "string", default: "text" },
  "warn-within": { type: "string", default: "0s" },
} as const;

export function createStatusCommand(deps: StatusCommandDeps = {}): CommandRunner {
  return {
    async run(argv: string[], io: CliIo): Promise<number> {
      const { values } = parseFlags(argv, flags);
      if (values.output !== "text" && values.output !== "json") throw new UsageError(`--output must be text or json, not "${values.output}"`);
      const windowMs = parseDurationSeconds(values["warn-within"], "--warn-within") * 1000;
      const now = (deps.now ?? (() => new Date()))();
      const recovered = await runRecovery(values["backup-dir"] ?? join(values["kubeconfig-dir"], "tmp"), { ...io, stdout: io.stderr }, "kubeca status", "if-needed");
      const status = await readExpirationStatus({ certDir: values["cert-dir"], kubeconfigDir: values["kubeconfig-dir"] }, now);
      const due = certificatesDue(status, windowMs);
      const casDue = authoritiesDue(status, windowMs);

      if (values.output === "json") io.stdout.write(JSON.stringify(expirationInfo(status), null, 2) + "\n");
      else io.stdout.write(renderExpirationTables(status));

      const window = values["warn-within"];
      if (due.length > 0) io.stderr.write(`kubeca status: renewal due (missing, expired or expiring within ${window}): ${due.map((r) => r.name).join(", ")}\n`);
      if (casDue.length > 0) io.stderr.write(`kubeca status: CA missing or expiring within ${window}: ${casDue.map((a) => a.name).join(", ")}; kubeca renew cannot fix this\n`);
      // "busy": a renew holds the lock and finishes or rolls back its own install; the table shows the
      // files as they are now, which is what monitoring asked for.
      if (due.length > 0 || recovered === false) return EXIT_FAILURE;
      return casDue.length > 0 ? EXIT_CA_EXPIRING : EXIT_OK;
    },
  };
}

export const statusCommand: CommandRunner = createStatusCommand();
