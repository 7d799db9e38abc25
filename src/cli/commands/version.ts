// `kubeca version` / `kubeca --version`.
import { BUILD_INFO, isSingleExecutable } from "../build-info.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_OK } from "../exit-codes.js";
import { parseFlags, UsageError } from "../flags.js";

export const versionCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, { output: { type: "string", default: "text" } });
    if (values.output !== "text" && values.output !== "json") throw new UsageError(`--output must be text or json, not "${values.output}"`);
    const info = {
      version: BUILD_INFO.version,
      commit: BUILD_INFO.commit,
      node: process.version,
      target: BUILD_INFO.target,
      executable: await isSingleExecutable(),
      platform: `${process.platform}-${process.arch}`,
    };
    if (values.output === "json") {
      io.stdout.write(JSON.stringify(info, null, 2) + "\n");
    } else {
      const target = info.executable ? `${info.target}, single executable` : info.target;
      io.stdout.write(`kubeca ${info.version} (commit ${info.commit ?? "unknown"}; ${target}; Node.js ${info.node} ${info.platform})\n`);
    }
    return EXIT_OK;
  },
};
