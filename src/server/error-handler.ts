// The one root error handler: every failure leaves as problem+json built from the error table.
// Causes go to the log with the request id; the body never carries a stack trace or an SDK message.
import type { FastifyReply, FastifyRequest } from "fastify";
import { ERRORS } from "../errors/index.js";
import { PROBLEM_CONTENT_TYPE, problemBody, retryAfterSeconds } from "./problem.js";
import { translateError } from "./translate-error.js";

export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { error: kubeca, expected } = translateError(error);
  const status = ERRORS[kubeca.code].status;
  if (!expected) {
    request.log.error({ err: error, code: kubeca.code }, "unexpected error");
  } else if (status >= 500) {
    // A KubecaError for an outage or a misconfiguration: its cause (an SDK error, say) is only logged.
    request.log.error({ code: kubeca.code, detail: kubeca.detail, err: kubeca.cause }, "request failed");
  } else {
    request.log.info({ code: kubeca.code, detail: kubeca.detail }, "request refused");
  }
  const retryAfter = retryAfterSeconds(kubeca);
  if (retryAfter !== undefined) reply.header("retry-after", String(retryAfter));
  // Both schemes a client can choose (RFC 9110 §11.6.1); IAM callers are challenged by API Gateway.
  if (kubeca.code === "KUBECA_UNAUTHENTICATED") reply.header("www-authenticate", 'Bearer realm="kubeca", KubecaProof realm="kubeca"');
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(problemBody(kubeca, request.id));
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(error, request, reply);
}
