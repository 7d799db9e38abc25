// What every `kubeca` subcommand provides. Commands are thin: parse flags, call one module, print.

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export interface CliCommand {
  /** Words after `kubeca`, e.g. `["ca", "init"]`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Full --help text. */
  readonly help: string;
  /** Returns the exit code. Throws KubecaError for failures the caller should see as such. */
  run(argv: string[], io: CliIo): Promise<number>;
}
