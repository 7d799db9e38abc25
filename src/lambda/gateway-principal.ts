// The caller's IAM ARN from an API Gateway proxy event: the one place kubeca reads it. API Gateway puts
// it in the request context only after its IAM authorization has checked the SigV4 signature:
//   HTTP API (payload 2.0): requestContext.authorizer.iam.userArn
//   REST API (payload 1.0): requestContext.identity.userArn
// Headers are never consulted: a client can send any header, but not the request context.
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyEventV2WithIAMAuthorizer } from "aws-lambda";

/** What API Gateway sends a Lambda proxy integration: HTTP API payload 2.0 (without or with the IAM
 *  authorizer) and REST API payload 1.0. */
export type GatewayEvent = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithIAMAuthorizer | APIGatewayProxyEvent;

type GatewayEventV2 = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithIAMAuthorizer;

function isPayloadV2(event: GatewayEvent): event is GatewayEventV2 {
  return "version" in event && event.version === "2.0";
}

function v2Arn(event: GatewayEventV2): string | undefined {
  // Routes without the IAM authorizer have no authorizer in their context.
  return "authorizer" in event.requestContext ? event.requestContext.authorizer?.iam?.userArn : undefined;
}

export function gatewayPrincipalArn(event: GatewayEvent): string | undefined {
  // Optional chains although the types call these fields required: a hand-made test event from the
  // console may lack them, and reading the principal must not throw.
  const arn = isPayloadV2(event) ? v2Arn(event) : event.requestContext?.identity?.userArn;
  return typeof arn === "string" && arn !== "" ? arn : undefined;
}
