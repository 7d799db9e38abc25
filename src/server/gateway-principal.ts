// The IAM principal API Gateway established for a request (it checked the SigV4 signature), handed
// from the Lambda handler to authentication. Only lambda/http-handler.ts sets it, from the invocation
// event's request context; no header can, so `kubeca serve` never has one.
import type { FastifyRequest } from "fastify";

const principals = new WeakMap<FastifyRequest, string>();

export function setGatewayPrincipal(request: FastifyRequest, arn: string): void {
  principals.set(request, arn);
}

export function gatewayPrincipal(request: FastifyRequest): string | undefined {
  return principals.get(request);
}
