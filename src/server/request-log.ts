// One log line per request, written when it completes: method, URL and status through the logger's
// req/res serializers (so the redaction of credentials applies), and the milliseconds it took.
// fastify writes two lines per request by default; the audit log is the record of decisions, and every
// line is serialised and written on the request's own CPU budget (profiled at ~5 % of a request).
import { LogController, type FastifyReply, type FastifyRequest } from "fastify";

export class RequestLog extends LogController {
  override incomingRequest(): void {
    // Nothing: the line is written when the request completes.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    if (error) reply.log.error({ req: request, res: reply, ms, err: error }, "request failed");
    else reply.log.info({ req: request, res: reply, ms }, "request");
  }
}
