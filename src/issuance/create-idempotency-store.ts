// Builds the configured idempotency store: memory (default; one server process) or dynamodb (Lambda,
// where instances come and go and a retry may reach another one).
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { IdempotencyConfig } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import { createDynamoDbIdempotencyStore } from "./dynamodb-idempotency-store.js";
import type { IdempotencyStore } from "./idempotency-store.js";
import { createMemoryIdempotencyStore } from "./memory-idempotency-store.js";

export interface OpenedIdempotencyStore {
  readonly store: IdempotencyStore;
  close(): void;
}

export function openIdempotencyStore(config: IdempotencyConfig): OpenedIdempotencyStore {
  if (config.store === "memory") return { store: createMemoryIdempotencyStore(config.maxEntries), close: () => {} };
  if (!config.table) throw new KubecaError("KUBECA_CONFIG_INVALID", "idempotency.table is required for the dynamodb idempotency store");
  const client = new DynamoDBClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  });
  return { store: createDynamoDbIdempotencyStore({ client, table: config.table }), close: () => client.destroy() };
}
