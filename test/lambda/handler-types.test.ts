// The Lambda handlers against @types/aws-lambda. The assignments below are compile-time proofs (npm
// run typecheck fails if a shape drifts): the HTTP handler is a handler for REST API (payload 1.0)
// and HTTP API (payload 2.0, with and without the IAM authorizer) alike, the sweep is an EventBridge
// schedule handler, and the @ts-expect-error lines prove that other events are refused. The tests read
// the gateway principal from each typed event version.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type {
  APIGatewayProxyHandler,
  APIGatewayProxyHandlerV2,
  APIGatewayProxyHandlerV2WithIAMAuthorizer,
  Handler,
  ScheduledEvent,
  SQSEvent,
} from "aws-lambda";
import { gatewayPrincipalArn } from "../../src/lambda/gateway-principal.js";
import { createHttpHandler, type LambdaHttpHandler } from "../../src/lambda/http-handler.js";
import { createKubeletSweepHandler, type SweepHandler } from "../../src/lambda/kubelet-sweep.js";
import type { SweepSummary } from "../../src/kubelet/sweep.js";
import { httpApiEvent, lambdaContext, restApiEvent, withIamCaller } from "./api-gateway-events.js";

const ARN = "arn:aws:sts::111122223333:assumed-role/kubeca-workers/i-0aaaa1111bbbb2222";

const http: LambdaHttpHandler = createHttpHandler(async () => {
  throw new Error("not started in this test");
});
const sweep: SweepHandler = createKubeletSweepHandler(async () => {
  throw new Error("not started in this test");
});

// Compile-time: each assignment type-checks only while the handler fits AWS's type for it.
export const asRestApi: APIGatewayProxyHandler = http;
export const asHttpApi: APIGatewayProxyHandlerV2 = http;
export const asHttpApiWithIam: APIGatewayProxyHandlerV2WithIAMAuthorizer = http;
export const asSchedule: Handler<ScheduledEvent, SweepSummary> = sweep;

export function refusedShapes(sqs: SQSEvent, schedule: ScheduledEvent): void {
  // @ts-expect-error an SQS event is not an API Gateway event
  void http(sqs, lambdaContext);
  // @ts-expect-error the HTTP handler does not take a schedule event
  void http(schedule, lambdaContext);
  // @ts-expect-error the sweep does not take an API Gateway event
  void sweep(httpApiEvent({ method: "GET", path: "/healthz" }), lambdaContext);
  // @ts-expect-error the principal is read from a typed event, not from anything
  gatewayPrincipalArn({ requestContext: { identity: { userArn: ARN } } });
}

describe("the gateway principal from typed events", () => {
  const caller = { accountId: "111122223333", userArn: ARN };

  it("HTTP API (2.0): requestContext.authorizer.iam.userArn, none without the IAM authorizer", () => {
    const anonymous = httpApiEvent({ method: "GET", path: "/v1/audit" });
    assert.equal(gatewayPrincipalArn(anonymous), undefined);
    assert.equal(gatewayPrincipalArn(withIamCaller(anonymous, caller)), ARN);
  });

  it("REST API (1.0): requestContext.identity.userArn, none for an anonymous caller", () => {
    const anonymous = restApiEvent({ method: "GET", path: "/v1/audit" });
    assert.equal(anonymous.requestContext.identity.userArn, null);
    assert.equal(gatewayPrincipalArn(anonymous), undefined);
    assert.equal(gatewayPrincipalArn(withIamCaller(anonymous, caller)), ARN);
  });

  it("a 2.0 event's REST-style identity is not read: each version has one place", () => {
    const event = httpApiEvent({ method: "GET", path: "/v1/audit" });
    const confused = { ...event, requestContext: { ...event.requestContext, identity: { userArn: ARN } } };
    assert.equal(gatewayPrincipalArn(confused), undefined);
  });

  it("an empty ARN is no principal", () => {
    const event = withIamCaller(restApiEvent({ method: "GET", path: "/v1/audit" }), { ...caller, userArn: "" });
    assert.equal(gatewayPrincipalArn(event), undefined);
  });
});
