// Who sent a request, as far as the transport knows: goes into audit records with the Caller.
import type { FastifyRequest } from "fastify";
import type { RequestOrigin } from "../auth/caller.js";

export function requestOrigin(request: FastifyRequest): RequestOrigin {
  const agent = request.headers["user-agent"];
  return {
    requestId: request.id,
    sourceIp: request.ip || undefined,
    // Bounded: the audit log should not store whatever a client chooses to send.
    userAgent: typeof agent === "string" ? agent.slice(0, 256) : undefined,
  };
}
