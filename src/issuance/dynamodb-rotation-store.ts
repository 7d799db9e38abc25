// The CA rotation state in the audit table (rotation-store.ts says how it is kept): a module of its
// own so that only a dynamodb audit store loads the AWS SDK.
import { ConditionalCheckFailedException, PutItemCommand, QueryCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";

// The client class, for callers that load this module on demand (a static named import keeps the
// SDK tree-shaken; a dynamic import of the SDK itself would bundle all of it).
export { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EMPTY_ROTATION_STATE, parseRotationState, rotationUnavailable, type RotationStore } from "./rotation-store.js";

export function dynamoDbRotationStore(client: DynamoDBClient, table: string, partition: string, owned: boolean): RotationStore {
  return {
    async read() {
      let out;
      try {
        out = await client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: "#c = :c",
            ExpressionAttributeNames: { "#c": "chain" },
            ExpressionAttributeValues: { ":c": { S: partition } },
            ScanIndexForward: false,
            ConsistentRead: true,
            Limit: 1,
          }),
        );
      } catch (e) {
        throw rotationUnavailable("cannot be read from the audit table", e);
      }
      const item = out.Items?.[0];
      if (!item) return EMPTY_ROTATION_STATE;
      let json: unknown;
      try {
        json = JSON.parse(item.state?.S ?? "");
      } catch {
        json = undefined;
      }
      return parseRotationState(json, `${table} ${partition} seq ${item.seq?.N}`);
    },
    async replace(expected, state) {
      const version = expected + 1;
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: { chain: { S: partition }, seq: { N: String(version) }, state: { S: JSON.stringify({ version, cas: state.cas }) } },
            ConditionExpression: "attribute_not_exists(#s)",
            ExpressionAttributeNames: { "#s": "seq" },
          }),
        );
        return true;
      } catch (e) {
        if (e instanceof ConditionalCheckFailedException || (e as Error)?.name === "ConditionalCheckFailedException") return false;
        throw rotationUnavailable("cannot be written to the audit table", e);
      }
    },
    close() {
      if (owned) client.destroy();
    },
  };
}
