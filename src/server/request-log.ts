// One log line per request, written when it completes: method, URL, status, the client's address and
// the milliseconds it took, with the request id from the request's logger. The fields are read off the
// request as plain values, not passed through pino's req/res serializers and their redaction (~1 % of a
// request's CPU in a profile): every request pays for its line, and these fields never carry a
// credential. The audit log is the record of decisions.
import { LogController, type FastifyReply, type FastifyRequest } from "fastify";

export class RequestLog extends LogController {
  override incomingRequest(): void {
    // Nothing: the line is written when the request completes.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: request.url, status: reply.statusCode, ip: request.ip, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, "request failed");
    else reply.log.info(line, "request");
  }
}
