// The CA rotation routes (registered under /v1):
//   GET  /ca/rotation         each CA's phase and how far the nodes have followed it (operator, auditor)
//   POST /ca/rotation         one phase change: prepare, advance or abort (operator)
//   POST /ca/rotation/report  a node says which CAs it trusts and which CA issued what it holds (node)
// The caller is authenticated and its role checked before the body is looked at.
import type { FastifyInstance } from "fastify";
import * as z from "zod/mini";
import { CaName, ROTATION_ACTIONS, ROTATION_PHASES } from "../../config/index.js";
import { callerWith } from "../authenticate-request.js";
import { parseBody } from "../parse-body.js";
import type { RateLimiter } from "../rate-limiter.js";
import { requestOrigin } from "../request-origin.js";

export interface RotationRoutesOptions {
  readonly rateLimiter?: RateLimiter;
}

const Sha256 = z.string().check(z.regex(/^[0-9a-f]{64}$/));

export const RotationChangeBody = z.strictObject({
  ca: CaName,
  action: z.enum(ROTATION_ACTIONS),
  expect: z.enum(ROTATION_PHASES),
  force: z.optional(z.boolean()),
});

export const TrustReportBody = z.strictObject({
  cas: z.array(
      z.strictObject({
        name: CaName,
        trusted: z.array(Sha256).check(z.maxLength(8)),
        leaves: z.array(z.strictObject({ file: z.string().check(z.minLength(1), z.maxLength(128)), issuer: z.union([Sha256, z.literal("unknown")]), serial: z.string().check(z.maxLength(64)), notAfter: z.string().check(z.maxLength(40)) })).check(z.maxLength(32)),
      }),
    ).check(z.maxLength(3)),
});

export async function rotationRoutes(app: FastifyInstance, options: RotationRoutesOptions): Promise<void> {
  app.get("/ca/rotation", async (request) => {
    await callerWith(app, request, ["operator", "auditor"], "only operators and auditors read the rotation status", options.rateLimiter);
    return { cas: await app.issuance.rotationStatus() };
  });

  app.post("/ca/rotation", async (request) => {
    const caller = await callerWith(app, request, ["operator"], "only operators change the rotation phase (callers.operators)", options.rateLimiter);
    const body = parseBody(RotationChangeBody, request.body);
    const ca = await app.issuance.changeRotation(caller, requestOrigin(request), {
      ca: body.ca,
      action: body.action,
      expect: body.expect,
      ...(body.force ? { force: true } : {}),
    });
    return { ca };
  });

  app.post("/ca/rotation/report", async (request) => {
    const caller = await callerWith(app, request, ["control-plane", "worker"], "only nodes report what they trust", options.rateLimiter);
    const body = parseBody(TrustReportBody, request.body);
    await app.issuance.reportTrust(caller, requestOrigin(request), body.cas);
    return { recorded: true };
  });
}
