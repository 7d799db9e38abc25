// API Gateway proxy events as Lambda receives them: HTTP API (payload format 2.0) and REST API (1.0).
// Builders with the fields AWS sends, so the adapter sees what it will see in production.

export interface EventInput {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  base64?: boolean;
  sourceIp?: string;
}

const ACCOUNT = "111122223333";

export function httpApiEvent(input: EventInput): Record<string, unknown> {
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

export function restApiEvent(input: EventInput): Record<string, unknown> {
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
      identity: { sourceIp: input.sourceIp ?? "203.0.113.7", userAgent: headers["User-Agent"] },
    },
    body: input.body === undefined ? null : input.base64 ? Buffer.from(input.body).toString("base64") : input.body,
    isBase64Encoded: input.base64 ?? false,
  };
}

/** The parts of a Lambda context the adapter may read. */
export const lambdaContext = {
  awsRequestId: "8f5a3c1e-0000-4000-8000-000000000001",
  functionName: "kubeca-dev-http",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
};
