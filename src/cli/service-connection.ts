// The flags and client of the operator commands that call the service (kubeca ca rotate, kubeca node
// retire): --server, an operator --token-file, --ca-file for the service's TLS certificate.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { createSignClient, ServiceUnreachableError, type SignClient } from "../client/index.js";
import type { CliIo } from "./command.js";
import { EXIT_UNAVAILABLE } from "./exit-codes.js";
import { UsageError } from "./flags.js";

export const CONNECTION_FLAGS = {
  server: { type: "string" },
  "token-file": { type: "string" },
  "ca-file": { type: "string" },
} as const;

async function readFlagFile(path: string, flag: string, io: CliIo): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, path), "utf8");
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export async function connect(values: { server?: string | undefined; "token-file"?: string | undefined; "ca-file"?: string | undefined }, io: CliIo): Promise<SignClient> {
  if (!values.server) throw new UsageError("--server URL is required");
  if (!values["token-file"]) throw new UsageError("--token-file FILE is required (an operator token: kubeca token create --role operator)");
  const token = (await readFlagFile(values["token-file"], "--token-file", io)).trim();
  if (!token) throw new UsageError(`--token-file ${values["token-file"]} is empty`);
  const tlsCa = values["ca-file"] ? await readFlagFile(values["ca-file"], "--ca-file", io) : undefined;
  try {
    return createSignClient({ server: values.server, token, ...(tlsCa ? { tlsCa } : {}) });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The service cannot be reached at all: one line, exit 3, and nothing changed. */
export function unreachable(io: CliIo, command: string, e: unknown): number {
  if (!(e instanceof ServiceUnreachableError)) throw e;
  io.stderr.write(`kubeca ${command}: ${e.message}; nothing was changed\nhint: check --server and that the kubeca service is up\n`);
  return EXIT_UNAVAILABLE;
}
