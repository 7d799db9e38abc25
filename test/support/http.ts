// supertest against a real listening server: the app listens on an ephemeral loopback port, every
// request crosses a socket and node's HTTP parser as a client's would, and the server closes when the
// test that started it ends (or when the suite closes the app itself).
import { connect } from "node:net";
import type { FastifyInstance } from "fastify";
import supertest from "supertest";

export type HttpClient = ReturnType<typeof supertest>;

/** Something that runs a function when the test or suite ends: a TestContext's `after`, or node:test's. */
export type Cleanup = (fn: () => Promise<void>) => void;

/** Without `cleanup`, the caller closes the app (a suite's after hook). */
export async function listen(app: FastifyInstance, cleanup?: Cleanup): Promise<HttpClient> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  cleanup?.(() => app.close());
  return supertest(app.server);
}

export interface RawResponse {
  readonly status: number;
  /** Header names lower-cased; the last value wins. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Writes these exact bytes to the app's port and reads the answer until the server closes the
 *  connection: for requests no HTTP client would send (bad header lines, two Content-Lengths). */
export function rawRequest(app: FastifyInstance, bytes: string): Promise<RawResponse> {
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("the app is not listening on a TCP port");
  return new Promise((resolve, reject) => {
    const socket = connect(address.port, "127.0.0.1", () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const [statusLine = "", ...lines] = text.slice(0, split).split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: text.slice(split + 4) });
    });
  });
}
