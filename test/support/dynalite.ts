// An in-process DynamoDB (dynalite, in memory) on 127.0.0.1 and a free port, with the audit table
// created, for the real @aws-sdk/client-dynamodb.
import { createRequire } from "node:module";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { AUDIT_TABLE_ATTRIBUTES, AUDIT_TABLE_KEY_SCHEMA } from "../../src/audit/dynamodb-store.js";

// dynalite ships no types: it is a function returning a node http.Server.
const dynalite = createRequire(import.meta.url)("dynalite") as (options: { createTableMs?: number }) => Server;

export interface Dynalite {
  readonly endpoint: string;
  /** A new client (its own connections), as a separate Lambda instance would have. */
  client(): DynamoDBClient;
  createAuditTable(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBClient[] = [];
  const client = () => {
    const c = new DynamoDBClient({
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    clients.push(c);
    return c;
  };
  return {
    endpoint,
    client,
    async createAuditTable(name: string) {
      await client().send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: AUDIT_TABLE_KEY_SCHEMA,
          AttributeDefinitions: AUDIT_TABLE_ATTRIBUTES,
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
    },
    async close() {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
