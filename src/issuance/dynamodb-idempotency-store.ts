// The idempotency store shared by every Lambda instance: one DynamoDB item per key,
//   { key: S, entry: S (JSON of the RememberedIssuance), expiresAt: N (epoch seconds, the table's TTL) }.
// DynamoDB deletes expired items only eventually (within days), so reads compare expiresAt themselves.
// Writes are conditional: an unexpired item is never replaced, so the first issuance stays the answer.
// The function needs GetItem and PutItem on this table, nothing else.
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
} from "@aws-sdk/client-dynamodb";
// The client class, for callers that load this module on demand (a static named import keeps the
// SDK tree-shaken; a dynamic import of the SDK itself would bundle all of it).
export { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { IdempotencyStore, RememberedIssuance } from "./idempotency-store.js";

/** The table's key and TTL attribute, as serverless.yml and the tests declare them. */
export const IDEMPOTENCY_TABLE_KEY_SCHEMA: KeySchemaElement[] = [{ AttributeName: "key", KeyType: "HASH" }];
export const IDEMPOTENCY_TABLE_ATTRIBUTES: AttributeDefinition[] = [{ AttributeName: "key", AttributeType: "S" }];
export const IDEMPOTENCY_TTL_ATTRIBUTE = "expiresAt";

export interface DynamoDbIdempotencyStoreOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
}

const epochSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

function isConditionFailure(e: unknown): boolean {
  return e instanceof ConditionalCheckFailedException || (e as Error)?.name === "ConditionalCheckFailedException";
}

export function createDynamoDbIdempotencyStore({ client, table }: DynamoDbIdempotencyStoreOptions): IdempotencyStore {
  return {
    async get(key: string, now: Date): Promise<RememberedIssuance | undefined> {
      // Consistent: an instance must see what another stored a moment ago.
      const out = await client.send(new GetItemCommand({ TableName: table, Key: { key: { S: key } }, ConsistentRead: true }));
      const item = out.Item;
      const expiresAt = Number(item?.[IDEMPOTENCY_TTL_ATTRIBUTE]?.N);
      const text = item?.entry?.S;
      if (text === undefined || !Number.isFinite(expiresAt) || expiresAt <= epochSeconds(now)) return undefined;
      return JSON.parse(text) as RememberedIssuance;
    },
    async put(key: string, entry: RememberedIssuance, expiresAt: Date, now: Date): Promise<void> {
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              key: { S: key },
              entry: { S: JSON.stringify(entry) },
              [IDEMPOTENCY_TTL_ATTRIBUTE]: { N: String(epochSeconds(expiresAt)) },
            },
            ConditionExpression: "attribute_not_exists(#k) OR #e <= :now",
            ExpressionAttributeNames: { "#k": "key", "#e": IDEMPOTENCY_TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ":now": { N: String(epochSeconds(now)) } },
          }),
        );
      } catch (e) {
        // Another instance remembered an issuance for this key first; its entry stays the answer.
        if (!isConditionFailure(e)) throw e;
      }
    },
  };
}
