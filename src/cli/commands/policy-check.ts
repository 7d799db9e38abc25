// `kubeca policy check FILE`: validate a config without starting anything, and show what its policy
// allows each node and node group, so an operator can read it before deploying it.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { validateConfigText, type Config, type ConfigIssue } from "../../config/index.js";
import { isKubecaError } from "../../errors/index.js";
import { compileKubeletPolicy } from "../../kubelet/kubelet-policy.js";
import { compilePolicy, durationSeconds, type Policy } from "../../policy/index.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_OK, EXIT_USAGE } from "../exit-codes.js";
import { parseFlags, UsageError } from "../flags.js";
import { policyReport, renderPolicyReport } from "../policy-report.js";

/** What the service and the kubelet signer would refuse at start, beyond the schema. */
function compileChecks(config: Config): { policy?: Policy; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (!isKubecaError(e)) throw e;
      // Details of these errors start with the field's path ("cluster.serviceSubnet: …").
      const m = /^([\w.-]+): (.*)$/s.exec(e.detail);
      issues.push(m ? { path: m[1]!, message: m[2]! } : { path: "", message: e.detail });
      return undefined;
    }
  };
  const policy = attempt(() => compilePolicy(config));
  attempt(() => durationSeconds(config.idempotency.window, "idempotency.window"));
  if (config.kubeletSigner) attempt(() => compileKubeletPolicy(config));
  return policy && issues.length === 0 ? { policy, issues } : { issues };
}

function reportInvalid(file: string, issues: readonly ConfigIssue[], json: boolean, io: CliIo): number {
  if (json) {
    io.stdout.write(JSON.stringify({ valid: false, errors: issues }, null, 2) + "\n");
  } else {
    io.stderr.write(`kubeca policy check: ${file} is not a valid kubeca config:\n`);
    for (const i of issues) io.stderr.write(`  ${i.path === "" ? "(top level)" : i.path}: ${i.message}\n`);
  }
  return EXIT_USAGE;
}

export const policyCheckCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseFlags(argv, { output: { type: "string", default: "text" } }, true);
    if (values.output !== "text" && values.output !== "json") throw new UsageError(`--output must be text or json, not "${values.output}"`);
    if (positionals.length !== 1) throw new UsageError("give exactly one config FILE");
    const json = values.output === "json";
    const file = positionals[0]!;

    let text: string;
    try {
      text = await readFile(resolve(io.cwd, file), "utf8");
    } catch (e) {
      return reportInvalid(file, [{ path: "", message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }], json, io);
    }
    const validated = validateConfigText(text);
    if (!validated.ok) return reportInvalid(file, validated.issues, json, io);
    const { policy, issues } = compileChecks(validated.config);
    if (!policy) return reportInvalid(file, issues, json, io);

    const report = policyReport(validated.config, policy);
    io.stdout.write(json ? JSON.stringify(report, null, 2) + "\n" : renderPolicyReport(file, report));
    return EXIT_OK;
  },
};
