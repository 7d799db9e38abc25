// The caller's IAM ARN from an API Gateway proxy event: the one place kubeca reads it. API Gateway puts
// it in the request context only after its IAM authorization has checked the SigV4 signature:
//   HTTP API (payload 2.0): requestContext.authorizer.iam.userArn
//   REST API (payload 1.0): requestContext.identity.userArn
// Headers are never consulted: a client can send any header, but not the request context.

function field(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

export function gatewayPrincipalArn(event: unknown): string | undefined {
  const v2 = field(event, "version") === "2.0";
  const arn = v2 ? field(event, "requestContext", "authorizer", "iam", "userArn") : field(event, "requestContext", "identity", "userArn");
  return typeof arn === "string" && arn !== "" ? arn : undefined;
}
