// Authentication for routes that need a Caller. A refused credential is audited before the 401
// leaves; if the audit log cannot take the record, the answer is 503 (fail closed), not 401.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Authenticator, CredentialInput } from "../auth/authenticator.js";
import { attemptedMethod } from "../auth/authorization-header.js";
import type { Caller, CallerRole } from "../auth/caller.js";
import { isKubecaError, KubecaError } from "../errors/index.js";
import type { IssuanceService } from "../issuance/types.js";
import { NO_METRICS, type IssuanceMetrics } from "../metrics/index.js";
import { gatewayPrincipal } from "./gateway-principal.js";
import { rawBody } from "./json-body.js";
import type { RateLimiter } from "./rate-limiter.js";
import { requestOrigin } from "./request-origin.js";

/** An authenticated caller in one of `roles`; any other is 403, `what` saying who may call the route. */
export async function callerWith(app: FastifyInstance, request: FastifyRequest, roles: readonly CallerRole[], what: string, rateLimiter?: RateLimiter): Promise<Caller> {
  const caller = await authenticateRequest(app.authenticator, app.issuance, request, rateLimiter, app.metrics);
  if (!roles.includes(caller.role)) throw new KubecaError("KUBECA_FORBIDDEN", `${caller.subject} is a ${caller.role} caller; ${what}`);
  return caller;
}

export async function authenticateRequest(
  authenticator: Authenticator,
  service: IssuanceService,
  request: FastifyRequest,
  rateLimiter?: RateLimiter,
  metrics: Pick<IssuanceMetrics, "authenticationFailure"> = NO_METRICS,
): Promise<Caller> {
  const input: CredentialInput = {
    headers: credentialHeaders(request),
    method: request.method,
    url: request.url,
    body: rawBody(request),
    awsIamPrincipal: gatewayPrincipal(request),
  };
  try {
    return await authenticator.authenticate(input);
  } catch (error) {
    // Only a refusal is audited; an authenticator fault goes to the error handler as it is.
    if (!isKubecaError(error) || error.code !== "KUBECA_UNAUTHENTICATED") throw error;
    metrics.authenticationFailure(attemptedMethod(input));
    // Bounded per source address, so refused credentials cannot grow the audit log without limit.
    await rateLimiter?.admitRefusedCredential(request.ip);
    try {
      await service.recordAuthenticationFailure(requestOrigin(request), error.detail);
    } catch (auditError) {
      if (isKubecaError(auditError) && auditError.code === "KUBECA_AUDIT_UNAVAILABLE") throw auditError;
      throw new KubecaError("KUBECA_AUDIT_UNAVAILABLE", "the refused credential could not be recorded in the audit log", {
        cause: auditError,
      });
    }
    throw error;
  }
}

/**
 * The request's headers with every Authorization header it carried. node's http keeps only the first
 * of several (and drops the rest silently), so authenticators would never see the others; the raw
 * header list still has them all, and an array tells the authenticators to refuse.
 */
function credentialHeaders(request: FastifyRequest): CredentialInput["headers"] {
  const raw = request.raw.rawHeaders ?? [];
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === "authorization") values.push(raw[i + 1]!);
  return values.length > 1 ? { ...request.headers, authorization: values } : request.headers;
}
