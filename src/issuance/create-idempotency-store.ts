// Builds the configured idempotency store: memory (default; one server process) or dynamodb (Lambda,
// where instances come and go and a retry may reach another one). The DynamoDB code is loaded only for
// a dynamodb store: the AWS SDK is megabytes of memory a server with a memory store never uses.
import type { IdempotencyConfig } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import type { IdempotencyStore } from "./idempotency-store.js";
import { createMemoryIdempotencyStore } from "./memory-idempotency-store.js";

export interface OpenedIdempotencyStore {
  readonly store: IdempotencyStore;
  close(): void;
}

export async function openIdempotencyStore(config: IdempotencyConfig): Promise<OpenedIdempotencyStore> {
  if (config.store === "memory") return { store: createMemoryIdempotencyStore(config.maxEntries), close: () => {} };
  if (!config.table) throw new KubecaError("KUBECA_CONFIG_INVALID", "idempotency.table is required for the dynamodb idempotency store");
  const { createDynamoDbIdempotencyStore, DynamoDBClient } = await import("./dynamodb-idempotency-store.js");
  const client = new DynamoDBClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  });
  return { store: createDynamoDbIdempotencyStore({ client, table: config.table }), close: () => client.destroy() };
}
