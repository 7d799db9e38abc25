// POST /v1/sign and POST /v1/sign/batch: authenticate, validate, charge the rate limits (one token per
// item), hand each item to the pipeline.
import type { FastifyInstance } from "fastify";
import type { RateLimiter } from "../rate-limiter.js";
import { authenticateRequest } from "../authenticate-request.js";
import { signBatch } from "../batch.js";
import { parseBody } from "../parse-body.js";
import { requestOrigin } from "../request-origin.js";
import { SignBatchBody, SignItemBody } from "../sign-body.js";

export interface SignRoutesOptions {
  /** Absent: no limits (tests of other behaviour, benchmarks). */
  readonly rateLimiter?: RateLimiter;
}

export async function signRoutes(app: FastifyInstance, options: SignRoutesOptions): Promise<void> {
  app.post("/sign", async (request) => {
    // Authentication first: an anonymous caller learns nothing about the body's validity.
    const caller = await authenticateRequest(app.authenticator, app.issuance, request, options.rateLimiter, app.metrics);
    const item = parseBody(SignItemBody, request.body);
    options.rateLimiter?.admit(caller, 1);
    return app.issuance.sign(caller, requestOrigin(request), item);
  });

  app.post("/sign/batch", async (request) => {
    const caller = await authenticateRequest(app.authenticator, app.issuance, request, options.rateLimiter, app.metrics);
    const body = parseBody(SignBatchBody, request.body);
    // The whole batch is admitted or refused: a half-charged batch would sign some items and 429 the rest.
    options.rateLimiter?.admit(caller, body.items.length);
    return { items: await signBatch(app.issuance, caller, requestOrigin(request), body.items) };
  });
}
