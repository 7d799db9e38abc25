// What every `kubeca` subcommand provides. Commands are thin: parse flags, call one module, print.

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** The code of a command: its module is imported only when the command runs. */
export interface CommandRunner {
  /** Returns the exit code. Throws KubecaError for failures the caller should see as such. */
  run(argv: string[], io: CliIo): Promise<number>;
}

/** One row of the command table in main.ts: what `--help` shows, and how to load the code. */
export interface CliCommand {
  /** Words after `kubeca`, e.g. `["ca", "init"]`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Full --help text (from src/cli/help/, which imports nothing heavy). */
  readonly help: string;
  /** Imports the command's module: the AWS SDK, fastify and the Kubernetes client load only here. */
  load(): Promise<CommandRunner>;
}
