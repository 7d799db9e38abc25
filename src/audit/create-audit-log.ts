// Builds the configured store: file (default) or dynamodb, with checkpoints when a signer is given
// and the stdout mirror when configured. Opening is lazy: nothing is touched until the first append,
// read or ready(), and every failure to store is KUBECA_AUDIT_UNAVAILABLE at that point. The DynamoDB
// code (and the AWS SDK under it) is imported only for a dynamodb store: a file-backed server never
// loads it (it was megabytes of every `serve` process).
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KubecaError } from "../errors/index.js";
import type { AuditConfig } from "../config/index.js";
import type { Signer } from "../signers/signer.js";
import { DEFAULT_CHECKPOINT_POLICY, type CheckpointScheduleOptions } from "./checkpoint-schedule.js";
import { checkpointPathFor, createFileAuditReader, type FileAuditPaths } from "./file-reader.js";
import { createFileAuditStore } from "./file-store.js";
import { mirrorLine, withStdoutMirror } from "./stdout-mirror.js";
import type { AuditReader, AuditStore } from "./store.js";

export interface AuditLogOptions {
  readonly now?: () => Date;
  readonly randomUUID?: () => string;
  /**
   * Signs checkpoints: the signer config.checkpoint.signer names (a CA's signer or its own), built by
   * the caller. Without it no checkpoints are written.
   */
  readonly checkpointSigner?: Signer;
  /** Where the mirror writes when config.stdout is true (default process.stdout). */
  readonly stdout?: NodeJS.WritableStream;
  /** DynamoDB client to use instead of one built from config.region and config.endpoint. */
  readonly dynamoDbClient?: DynamoDBClient;
  /** Failures that do not refuse an append (a checkpoint not signed or stored, a torn line repaired). */
  readonly onWarning?: (message: string, cause?: unknown) => void;
}

export function fileAuditPaths(config: AuditConfig, baseDir: string): FileAuditPaths {
  const records = resolve(baseDir, config.path);
  const checkpoints = config.checkpoint?.path ? resolve(baseDir, config.checkpoint.path) : checkpointPathFor(records);
  return { records, checkpoints };
}

/** The DynamoDB store's module and where it writes, both loaded only now. */
async function dynamoDbTarget(config: AuditConfig, options: Pick<AuditLogOptions, "dynamoDbClient">) {
  if (!config.table) throw new KubecaError("KUBECA_CONFIG_INVALID", "audit.table is required for the dynamodb audit store");
  const { createDynamoDbAuditStore, DynamoDBClient } = await import("./dynamodb-store.js");
  const client =
    options.dynamoDbClient ??
    new DynamoDBClient({
      ...(config.region ? { region: config.region } : {}),
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    });
  return { createDynamoDbAuditStore, target: { client, table: config.table, chain: config.chain, ownsClient: options.dynamoDbClient === undefined } };
}

export async function createAuditLog(config: AuditConfig, baseDir: string, options: AuditLogOptions = {}): Promise<AuditStore> {
  const now = options.now ?? (() => new Date());
  const ids = options.randomUUID ?? randomUUID;
  const out = options.stdout ?? process.stdout;
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, "KubecaAuditWarning"));
  const checkpoints: Omit<CheckpointScheduleOptions, "write" | "now"> | undefined = options.checkpointSigner && {
    signer: options.checkpointSigner,
    everyRecords: config.checkpoint?.everyRecords ?? DEFAULT_CHECKPOINT_POLICY.everyRecords,
    everyMs: config.checkpoint ? config.checkpoint.everyMinutes * 60_000 : DEFAULT_CHECKPOINT_POLICY.everyMs,
    onError: (e) => warn(`audit checkpoint not written; the next one will cover its records: ${(e as Error)?.message ?? e}`, e),
    ...(config.stdout ? { onCheckpoint: (cp) => mirrorLine(out, cp) } : {}),
  };

  let store: AuditStore;
  if (config.store === "dynamodb") {
    const { createDynamoDbAuditStore, target } = await dynamoDbTarget(config, options);
    store = createDynamoDbAuditStore({ ...target, now, randomUUID: ids, ...(checkpoints ? { checkpoints } : {}) });
  } else {
    store = createFileAuditStore({ paths: fileAuditPaths(config, baseDir), now, randomUUID: ids, onWarning: warn, ...(checkpoints ? { checkpoints } : {}) });
  }
  return config.stdout ? withStdoutMirror(store, out) : store;
}

/** Read-only access for `kubeca audit` and auditors' tools: never creates a file or writes an item. */
export async function openAuditReader(
  config: AuditConfig,
  baseDir: string,
  options: Pick<AuditLogOptions, "dynamoDbClient"> = {},
): Promise<AuditReader> {
  if (config.store === "file") return createFileAuditReader(fileAuditPaths(config, baseDir));
  // The writer's read paths only Query; with no append, no checkpoint and no head read happen.
  const { createDynamoDbAuditStore, target } = await dynamoDbTarget(config, options);
  return createDynamoDbAuditStore({ ...target, now: () => new Date(), randomUUID });
}
