// Flag parsing for every command, on node:util parseArgs: unknown flags are refused, not ignored.
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {
  override name = "UsageError";
}

export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

/** Every command also takes --debug (main.ts prints an unexpected error's stack trace with it). */
const GLOBAL_FLAGS = { debug: { type: "boolean", default: false } } as const satisfies FlagSpec;

export function parseFlags<T extends FlagSpec>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...GLOBAL_FLAGS, ...options }, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^.*?: /, ""));
  }
}

/** Go-style durations as kubeadm writes them (`8760h`, `90m`, `30d` for convenience) → seconds. */
export function parseDurationSeconds(text: string, flag: string): number {
  const m = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === "") throw new UsageError(`${flag} must be a duration like 87600h, 720h, 30d or 90m, not "${text}"`);
  const [, d, h, mi, s] = m;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(mi ?? 0) * 60 + Number(s ?? 0);
}

export function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be 0..65535, not "${text}"`);
  return n;
}
