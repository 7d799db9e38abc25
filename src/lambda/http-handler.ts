// The API Gateway (HTTP API v2 and REST v1) handler around a fastify app built once per cold start.
// If the start fails (bad config, unreadable SSM parameter, a signer that does not match its CA
// certificate), every request gets a problem+json answer naming the error code, and the reason is
// logged; the function never crash-loops into bare 502s. A failed start is retried after a pause.
import { randomUUID } from "node:crypto";
import awsLambdaFastify from "@fastify/aws-lambda";
import type { APIGatewayProxyResult, Context } from "aws-lambda";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ERRORS, isKubecaError, KubecaError } from "../errors/index.js";
import { PROBLEM_CONTENT_TYPE, problemBody, retryAfterSeconds, setGatewayPrincipal } from "../server/index.js";
import { gatewayPrincipalArn, type GatewayEvent } from "./gateway-principal.js";

export type { GatewayEvent } from "./gateway-principal.js";

/** A REST API (payload 1.0) proxy result, which the HTTP API (payload 2.0) accepts as its structured
 *  result too; our answers always carry headers (x-request-id at least). */
export interface LambdaHttpResponse extends APIGatewayProxyResult {
  headers: Record<string, string>;
}

export type LambdaHttpHandler = (event: GatewayEvent, context: Context) => Promise<LambdaHttpResponse>;

export interface HttpHandlerOptions {
  /** A failed start is tried again by the first request this long after it (default 30 s). */
  readonly restartAfterMs?: number;
  readonly now?: () => number;
  /** One JSON object per line; CloudWatch keeps stdout and stderr. Default: console.error. */
  readonly log?: (line: Record<string, unknown>) => void;
  /** Runs when each invocation has its answer, failed or not: the EMF line of its metrics. */
  readonly onInvocationEnd?: () => void;
}

/** The request property @fastify/aws-lambda decorates with `{ event, context }`. */
const LAMBDA_DECORATION = "awsLambda";

type DecoratedRequest = FastifyRequest & { [LAMBDA_DECORATION]?: { event: GatewayEvent; context: Context } };

function startError(error: unknown): KubecaError {
  if (isKubecaError(error)) return error;
  return new KubecaError("KUBECA_INTERNAL", "kubeca could not start", { cause: error });
}

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

/** The answer while the app is down: the code and title tell the operator where to look; the
 *  detail (which may name config paths) stays in the log. */
function failureResponse(error: KubecaError): LambdaHttpResponse {
  const requestId = randomUUID();
  const publicError = new KubecaError(
    error.code,
    `kubeca could not start (${ERRORS[error.code].title.toLowerCase()}); the function's log has the reason`,
    { retryAfter: error.retryAfter },
  );
  const headers: Record<string, string> = { "content-type": `${PROBLEM_CONTENT_TYPE}; charset=utf-8`, "x-request-id": requestId };
  const retryAfter = retryAfterSeconds(publicError);
  if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
  return {
    statusCode: ERRORS[error.code].status,
    headers,
    body: JSON.stringify(problemBody(publicError, requestId)),
    isBase64Encoded: false,
  };
}

export function createHttpHandler(start: () => Promise<FastifyInstance>, options: HttpHandlerOptions = {}): LambdaHttpHandler {
  const restartAfterMs = options.restartAfterMs ?? 30_000;
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line) => console.error(JSON.stringify(line)));

  let booting: Promise<LambdaHttpHandler> | undefined;
  let failure: { error: KubecaError; at: number } | undefined;

  async function boot(): Promise<LambdaHttpHandler> {
    try {
      const app = await start();
      // The adapter's request decoration hands each request its invocation event (through a random
      // per-invocation token, never through client headers); only the IAM principal is taken from it.
      const proxy: LambdaHttpHandler = awsLambdaFastify<GatewayEvent>(app, { decorateRequest: true, decorationPropertyName: LAMBDA_DECORATION });
      app.addHook("onRequest", async (request: DecoratedRequest) => {
        const event = request[LAMBDA_DECORATION]?.event;
        const arn = event === undefined ? undefined : gatewayPrincipalArn(event);
        if (arn !== undefined) setGatewayPrincipal(request, arn);
      });
      await app.ready();
      failure = undefined;
      return proxy;
    } catch (e) {
      const error = startError(e);
      failure = { error, at: now() };
      log({ level: "error", msg: "kubeca could not start", code: error.code, detail: error.detail, cause: describeCause(error.cause) });
      throw error;
    }
  }

  return async function handler(event: GatewayEvent, context: Context): Promise<LambdaHttpResponse> {
    try {
      return await answer(event, context);
    } finally {
      options.onInvocationEnd?.();
    }
  };

  async function answer(event: GatewayEvent, context: Context): Promise<LambdaHttpResponse> {
    if (booting === undefined || (failure !== undefined && now() - failure.at >= restartAfterMs)) {
      booting = boot();
      booting.catch(() => {}); // observed below; keeps a rejected start from being "unhandled"
    }
    let proxy: LambdaHttpHandler;
    try {
      proxy = await booting;
    } catch (e) {
      const error = startError(e);
      const response = failureResponse(error);
      log({ level: "error", msg: "answered while not started", code: error.code, requestId: response.headers["x-request-id"] });
      return response;
    }
    return proxy(event, context);
  }
}
