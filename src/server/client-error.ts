// Requests node's HTTP parser refuses (a malformed request line or header, two Content-Lengths, headers
// past 16 KiB, a request that never finished) never reach a route or the error handler; fastify would
// answer them with its own JSON. They get the one problem+json shape every other failure has.
import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { KubecaError } from "../errors/index.js";
import { PROBLEM_CONTENT_TYPE, problemBody } from "./problem.js";

function detailFor(code: string | undefined): string {
  if (code === "HPE_HEADER_OVERFLOW") return "the request headers are larger than the server accepts (16 KiB)";
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return "the request did not arrive completely in time";
  return "the request is not valid HTTP/1.1 (its request line, a header or its framing); send one well-formed request";
}

export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const requestId = randomUUID();
  this.log.debug({ err: error, reqId: requestId }, "refused by the HTTP parser");
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(problemBody(new KubecaError("KUBECA_BAD_REQUEST", detailFor(error.code)), requestId));
  // end(), not write() then destroy(): the answer must reach the client before the socket closes.
  socket.end(
    [
      "HTTP/1.1 400 Bad Request",
      `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      `X-Request-Id: ${requestId}`,
      "Connection: close",
      "",
      body,
    ].join("\r\n"),
  );
}
