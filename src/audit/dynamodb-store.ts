// The serverless store: one DynamoDB item per record, partition key `chain`, sort key `seq`.
// Many Lambda instances append to one chain: each put is conditional on the seq being free
// (attribute_not_exists), and a writer that loses the race re-reads the head and tries again on top
// of it, so the chain stays one line with no gaps or forks. The function needs only PutItem and Query.
// The record is stored as its canonical JSON text, the bytes its hash was computed over.
import {
  ConditionalCheckFailedException,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type KeySchemaElement,
  type AttributeDefinition,
} from "@aws-sdk/client-dynamodb";
// The client class, for callers that load this module on demand (a static named import keeps the
// SDK tree-shaken; a dynamic import of the SDK itself would bundle all of it).
export { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KubecaError } from "../errors/index.js";
import { canonicalJson } from "./canonical-json.js";
import { asStoredCheckpoint, type AuditCheckpoint } from "./checkpoint.js";
import { CheckpointSchedule, type CheckpointScheduleOptions } from "./checkpoint-schedule.js";
import { compileQuery, encodeCursor, type AuditPage, type AuditQuery } from "./query.js";
import { asStoredRecord, EMPTY_HEAD, recordLine, sealRecord, type ChainHead } from "./record.js";
import { SerialQueue } from "./serial-queue.js";
import type { AuditStore, Stored } from "./store.js";
import type { AuditEvent, AuditRecord } from "./types.js";

/** The table's key, as serverless.yml, infra/ and the tests declare it. */
export const AUDIT_TABLE_KEY_SCHEMA: KeySchemaElement[] = [
  { AttributeName: "chain", KeyType: "HASH" },
  { AttributeName: "seq", KeyType: "RANGE" },
];
export const AUDIT_TABLE_ATTRIBUTES: AttributeDefinition[] = [
  { AttributeName: "chain", AttributeType: "S" },
  { AttributeName: "seq", AttributeType: "N" },
];
/** Checkpoints share the table under their own partition, `<chain>#checkpoints`, keyed by the seq they prove. */
export const CHECKPOINT_PARTITION_SUFFIX = "#checkpoints";

const RETRY_AFTER_SECONDS = 2;
/**
 * How long one append keeps retrying lost races before failing closed. Each loss means another writer
 * appended, so the chain is moving; but a writer with a cached head wins most races against one that
 * must re-read it first, so the loser needs time, not a small count.
 */
const DEFAULT_CONTENTION_BUDGET_MS = 10_000;
const QUERY_PAGE = 200;
const NAMES = { "#c": "chain", "#s": "seq" };

export interface DynamoDbAuditStoreOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly chain: string;
  readonly now: () => Date;
  readonly randomUUID: () => string;
  readonly checkpoints?: Omit<CheckpointScheduleOptions, "write" | "now">;
  /** Milliseconds one append may spend losing races for the next seq (default 10 s). */
  readonly contentionBudgetMs?: number;
  /** Destroy the client on close (when the store made it). */
  readonly ownsClient?: boolean;
}

function unavailable(what: string, cause: unknown): KubecaError {
  return new KubecaError("KUBECA_AUDIT_UNAVAILABLE", `the audit table ${what}; no record was stored`, {
    cause,
    retryAfter: RETRY_AFTER_SECONDS,
  });
}

function isConditionFailure(e: unknown): boolean {
  return e instanceof ConditionalCheckFailedException || (e as Error)?.name === "ConditionalCheckFailedException";
}

function parseItem<T>(item: Record<string, AttributeValue>, attribute: string, as: (v: unknown) => T | string): T | string {
  const text = item[attribute]?.S;
  if (text === undefined) return `no ${attribute} attribute`;
  try {
    return as(JSON.parse(text));
  } catch {
    return "not valid JSON";
  }
}

export function createDynamoDbAuditStore(options: DynamoDbAuditStoreOptions): AuditStore {
  const { client, table, chain, now, randomUUID } = options;
  const checkpointPartition = chain + CHECKPOINT_PARTITION_SUFFIX;
  const contentionBudgetMs = options.contentionBudgetMs ?? DEFAULT_CONTENTION_BUDGET_MS;
  const queue = new SerialQueue();
  // The head as this instance last saw it; undefined = read it before the next put.
  let head: ChainHead | undefined;

  async function* query(
    partition: string,
    opts: { ascending: boolean; beforeSeq?: number; consistent: boolean; pageSize?: number },
  ): AsyncGenerator<Record<string, AttributeValue>> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: opts.beforeSeq === undefined ? "#c = :c" : "#c = :c AND #s < :before",
          ExpressionAttributeNames: opts.beforeSeq === undefined ? { "#c": "chain" } : NAMES,
          ExpressionAttributeValues: {
            ":c": { S: partition },
            ...(opts.beforeSeq === undefined ? {} : { ":before": { N: String(opts.beforeSeq) } }),
          },
          ScanIndexForward: opts.ascending,
          ConsistentRead: opts.consistent,
          Limit: opts.pageSize ?? QUERY_PAGE,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield item;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async function readHead(): Promise<ChainHead> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      for await (const i of query(chain, { ascending: false, consistent: true, pageSize: 1 })) {
        item = i;
        break;
      }
    } catch (e) {
      throw unavailable("cannot be read", e);
    }
    if (!item) return EMPTY_HEAD;
    const last = parseItem(item, "record", asStoredRecord);
    if (typeof last === "string") {
      throw new KubecaError(
        "KUBECA_AUDIT_UNAVAILABLE",
        `the newest audit record is not readable (${last}), so the chain cannot be continued; run kubeca audit verify`,
        { retryAfter: RETRY_AFTER_SECONDS },
      );
    }
    return { seq: last.seq, hash: last.hash };
  }

  async function put(partition: string, seq: number, attribute: string, text: string): Promise<void> {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { chain: { S: partition }, seq: { N: String(seq) }, [attribute]: { S: text } },
        ConditionExpression: "attribute_not_exists(#s)",
        ExpressionAttributeNames: { "#s": "seq" },
      }),
    );
  }

  const schedule =
    options.checkpoints &&
    new CheckpointSchedule({
      ...options.checkpoints,
      now,
      async write(checkpoint: AuditCheckpoint) {
        try {
          await put(checkpointPartition, checkpoint.seq, "checkpoint", canonicalJson(checkpoint));
        } catch (e) {
          // Another instance already proved this seq: one checkpoint per seq is enough.
          if (!isConditionFailure(e)) throw e;
        }
      },
    });

  async function* stored<T>(
    partition: string,
    attribute: string,
    as: (v: unknown) => T | string,
  ): AsyncGenerator<Stored<T>> {
    try {
      for await (const item of query(partition, { ascending: true, consistent: true })) {
        const location = `item seq=${item.seq?.N ?? "?"}`;
        const value = parseItem(item, attribute, as);
        yield typeof value === "string" ? { location, unreadable: value } : { location, value, raw: Buffer.from(item[attribute]!.S!, "utf8") };
      }
    } catch (e) {
      throw e instanceof KubecaError ? e : unavailable("cannot be read", e);
    }
  }

  return {
    append(event: AuditEvent): Promise<AuditRecord> {
      return queue.run(async () => {
        const id = randomUUID();
        // Real elapsed time, not the injected clock: this bounds how long a caller waits.
        const started = performance.now();
        for (let conflicts = 0; ; ) {
          head ??= await readHead();
          const record = sealRecord(event, head, { time: now().toISOString(), id });
          try {
            await put(chain, record.seq, "record", recordLine(record));
          } catch (e) {
            head = undefined;
            if (!isConditionFailure(e)) throw unavailable("cannot be written", e);
            conflicts++;
            if (performance.now() - started > contentionBudgetMs) {
              throw unavailable(`lost the race for the next seq to ${conflicts} concurrent appends in ${contentionBudgetMs} ms`, e);
            }
            continue;
          }
          head = { seq: record.seq, hash: record.hash };
          schedule?.recorded(head);
          return record;
        }
      });
    },

    async read(q: AuditQuery): Promise<AuditPage> {
      const compiled = compileQuery(q);
      const records: AuditRecord[] = [];
      const opts = { ascending: false, consistent: false, ...(compiled.cursor ? { beforeSeq: compiled.cursor.beforeSeq } : {}) };
      try {
        for await (const item of query(chain, opts)) {
          const record = parseItem(item, "record", asStoredRecord);
          if (typeof record === "string" || !compiled.matches(record)) continue;
          records.push(record);
          if (records.length === compiled.limit) return { records, nextCursor: encodeCursor({ beforeSeq: record.seq }) };
        }
      } catch (e) {
        throw unavailable("cannot be read", e);
      }
      return { records, nextCursor: undefined };
    },

    chain: () => stored(chain, "record", asStoredRecord),
    checkpoints: () => stored(checkpointPartition, "checkpoint", asStoredCheckpoint),

    async ready() {
      await queue.run(async () => {
        head = await readHead();
      });
    },

    async close() {
      await queue.idle();
      await schedule?.flush();
      if (options.ownsClient) client.destroy();
    },
  };
}
