// The replay cache Lambda instances share: one DynamoDB item per used jti, written with a conditional
// PutItem (attribute_not_exists), so of two instances receiving the same proof exactly one wins. Items
// carry a TTL attribute; DynamoDB deletes them some time after it passes. A jti is never legitimately
// reused, so an item outliving its TTL refuses nothing that should pass. The function needs PutItem only.
import {
  ConditionalCheckFailedException,
  PutItemCommand,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
} from "@aws-sdk/client-dynamodb";
// The client class, for callers that load this module on demand (a static named import keeps the
// SDK tree-shaken; a dynamic import of the SDK itself would bundle all of it).
export { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KubecaError } from "../errors/index.js";
import type { ReplayCache } from "./replay-cache.js";

/** The table's key, as serverless.yml and the tests declare it. */
export const REPLAY_TABLE_KEY_SCHEMA: KeySchemaElement[] = [{ AttributeName: "jti", KeyType: "HASH" }];
export const REPLAY_TABLE_ATTRIBUTES: AttributeDefinition[] = [{ AttributeName: "jti", AttributeType: "S" }];
/** The table's TimeToLiveSpecification attribute: epoch seconds. */
export const REPLAY_TABLE_TTL_ATTRIBUTE = "expiresAt";

const RETRY_AFTER_SECONDS = 2;

export interface DynamoDbReplayCacheOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
}

function isConditionFailure(e: unknown): boolean {
  return e instanceof ConditionalCheckFailedException || (e as Error)?.name === "ConditionalCheckFailedException";
}

export function createDynamoDbReplayCache(options: DynamoDbReplayCacheOptions): ReplayCache {
  const { client, table } = options;
  return {
    async claim(jti, expiresAt) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: { jti: { S: jti }, [REPLAY_TABLE_TTL_ATTRIBUTE]: { N: String(expiresAt) } },
            ConditionExpression: "attribute_not_exists(jti)",
          }),
        );
        return true;
      } catch (e) {
        if (isConditionFailure(e)) return false;
        // Not knowing whether the jti was used means not knowing whether to accept: fail closed, retryable.
        throw new KubecaError("KUBECA_NOT_READY", `the proof replay cache (DynamoDB table ${table}) could not be written; retry shortly`, {
          cause: e,
          retryAfter: RETRY_AFTER_SECONDS,
        });
      }
    },
  };
}
