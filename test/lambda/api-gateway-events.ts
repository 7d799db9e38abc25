// API Gateway proxy events as Lambda receives them: HTTP API (payload format 2.0) and REST API (1.0).
// Builders with the fields AWS sends, typed with @types/aws-lambda so the compiler holds them to the
// shapes the handler is typed for; the adapter sees what it will see in production.
import type { APIGatewayEventIdentity, APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyEventV2WithIAMAuthorizer, Context } from "aws-lambda";

export interface EventInput {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  base64?: boolean;
  sourceIp?: string;
}

const ACCOUNT = "111122223333";

export function httpApiEvent(input: EventInput): APIGatewayProxyEventV2 {
  const headers = {
    host: "abc123.execute-api.eu-west-1.amazonaws.com",
    "user-agent": "kubeca-renew/0.1",
    "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
    "x-forwarded-for": input.sourceIp ?? "203.0.113.7",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
    ...(input.body !== undefined ? { "content-type": "application/json" } : {}),
    ...input.headers,
  };
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: input.path,
    rawQueryString: "",
    headers,
    requestContext: {
      accountId: ACCOUNT,
      apiId: "abc123",
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      domainPrefix: "abc123",
      http: {
        method: input.method,
        path: input.path,
        protocol: "HTTP/1.1",
        sourceIp: input.sourceIp ?? "203.0.113.7",
        userAgent: headers["user-agent"],
      },
      requestId: "JKJaXmPLvHcESHA=",
      routeKey: "$default",
      stage: "$default",
      time: "27/Nov/2026:08:53:00 +0000",
      timeEpoch: 1795769580000,
    },
    ...(input.body !== undefined
      ? { body: input.base64 ? Buffer.from(input.body).toString("base64") : input.body, isBase64Encoded: input.base64 ?? false }
      : { isBase64Encoded: false }),
  };
}

/** What a REST API request context holds for a caller API Gateway did not authenticate. */
function anonymousIdentity(sourceIp: string, userAgent: string): APIGatewayEventIdentity {
  return {
    accessKey: null,
    accountId: null,
    apiKey: null,
    apiKeyId: null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp,
    user: null,
    userAgent,
    userArn: null,
  };
}

export function restApiEvent(input: EventInput): APIGatewayProxyEvent {
  const headers: Record<string, string> = {
    Host: "abc123.execute-api.eu-west-1.amazonaws.com",
    "User-Agent": "kubeca-renew/0.1",
    "X-Amzn-Trace-Id": "Root=1-67891233-abcdef012345678912345678",
    "X-Forwarded-For": input.sourceIp ?? "203.0.113.7",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
    ...(input.body !== undefined ? { "Content-Type": "application/json" } : {}),
    ...input.headers,
  };
  return {
    resource: "/{proxy+}",
    path: input.path,
    httpMethod: input.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: input.path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: ACCOUNT,
      apiId: "abc123",
      resourceId: "a1b2c3",
      resourcePath: "/{proxy+}",
      httpMethod: input.method,
      path: `/prod${input.path}`,
      stage: "prod",
      protocol: "HTTP/1.1",
      requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
      requestTimeEpoch: 1795769580000,
      authorizer: null,
      identity: anonymousIdentity(input.sourceIp ?? "203.0.113.7", headers["User-Agent"]!),
    },
    body: input.body === undefined ? null : input.base64 ? Buffer.from(input.body).toString("base64") : input.body,
    isBase64Encoded: input.base64 ?? false,
  };
}

/** The IAM caller API Gateway checked (SigV4), as each payload version's request context carries it. */
export interface IamCaller {
  readonly accountId: string;
  readonly userArn: string;
}

export function withIamCaller(event: APIGatewayProxyEventV2, caller: IamCaller): APIGatewayProxyEventV2WithIAMAuthorizer;
export function withIamCaller(event: APIGatewayProxyEvent, caller: IamCaller): APIGatewayProxyEvent;
export function withIamCaller(
  event: APIGatewayProxyEventV2 | APIGatewayProxyEvent,
  caller: IamCaller,
): APIGatewayProxyEventV2WithIAMAuthorizer | APIGatewayProxyEvent {
  const session = { accessKey: "ASIAEXAMPLE", caller: "AROAEXAMPLE:session", user: "AROAEXAMPLE:session" };
  if ("version" in event) {
    const iam = { ...session, accountId: caller.accountId, userArn: caller.userArn, callerId: session.caller, userId: session.user, principalOrgId: "", cognitoIdentity: null };
    return { ...event, requestContext: { ...event.requestContext, authorizer: { iam } } };
  }
  const identity = { ...event.requestContext.identity, ...session, accountId: caller.accountId, userArn: caller.userArn };
  return { ...event, requestContext: { ...event.requestContext, identity } };
}

/** A Lambda context as the runtime passes it. */
export const lambdaContext: Context = {
  awsRequestId: "8f5a3c1e-0000-4000-8000-000000000001",
  functionName: "kubeca-dev-http",
  functionVersion: "$LATEST",
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:kubeca-dev-http`,
  memoryLimitInMB: "1024",
  logGroupName: "/aws/lambda/kubeca-dev-http",
  logStreamName: "2026/11/27/[$LATEST]0123456789abcdef0123456789abcdef",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};
