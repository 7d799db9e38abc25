// POST /v1/sign and POST /v1/sign/batch: authenticate, validate, hand each item to the pipeline.
import type { FastifyInstance } from "fastify";
import { authenticateRequest } from "../authenticate-request.js";
import { signBatch } from "../batch.js";
import { parseBody } from "../parse-body.js";
import { requestOrigin } from "../request-origin.js";
import { SignBatchBody, SignItemBody } from "../sign-body.js";

export async function signRoutes(app: FastifyInstance): Promise<void> {
  app.post("/sign", async (request) => {
    // Authentication first: an anonymous caller learns nothing about the body's validity.
    const caller = await authenticateRequest(app.authenticator, app.issuance, request);
    const item = parseBody(SignItemBody, request.body);
    return app.issuance.sign(caller, requestOrigin(request), item);
  });

  app.post("/sign/batch", async (request) => {
    const caller = await authenticateRequest(app.authenticator, app.issuance, request);
    const body = parseBody(SignBatchBody, request.body);
    return { items: await signBatch(app.issuance, caller, requestOrigin(request), body.items) };
  });
}
