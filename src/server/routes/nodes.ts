// The node routes (registered under /v1):
//   POST /nodes/{name}/retire  a node gone from the cluster leaves the fleet view (operator)
// The caller is authenticated and its role checked before the body is looked at; the service decides
// and records (node-retired, or a refused record).
import type { FastifyInstance } from "fastify";
import * as z from "zod/mini";
import "../../config/zod-locale.js";
import { callerWith } from "../authenticate-request.js";
import { parseBody } from "../parse-body.js";
import type { RateLimiter } from "../rate-limiter.js";
import { requestOrigin } from "../request-origin.js";

export interface NodeRoutesOptions {
  readonly rateLimiter?: RateLimiter;
}

export const RetireNodeBody = z.strictObject({
  reason: z.string().check(z.trim(), z.minLength(1), z.maxLength(512)),
});

/** A node name as the inventory holds it: the config's name or a certificate's CN after system:node:. */
const NodeNameParams = z.strictObject({ name: z.string().check(z.minLength(1), z.maxLength(253)) });

export async function nodeRoutes(app: FastifyInstance, options: NodeRoutesOptions): Promise<void> {
  app.post("/nodes/:name/retire", async (request) => {
    const caller = await callerWith(app, request, ["operator"], "only operators retire nodes (callers.operators)", options.rateLimiter);
    const { name } = parseBody(NodeNameParams, request.params);
    const body = parseBody(RetireNodeBody, request.body);
    return { retired: await app.issuance.retireNode(caller, requestOrigin(request), { node: name, reason: body.reason }) };
  });
}
