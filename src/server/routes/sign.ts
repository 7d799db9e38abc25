// POST /v1/sign and POST /v1/sign/batch: authenticate, validate, charge the rate limits (one token per
// item), hand each item to the pipeline. A body that breaks the schema is refused after authentication,
// so it is recorded like every other refusal (one token charged, so it cannot flood the log).
import type { FastifyInstance, FastifyRequest } from "fastify";
import type * as z from "zod/mini";
import type { Caller } from "../../auth/caller.js";
import { isWellFormed } from "../../audit/index.js";
import { isKubecaError, KubecaError } from "../../errors/index.js";
import type { IssuanceService } from "../../issuance/types.js";
import type { RateLimiter } from "../rate-limiter.js";
import { authenticateRequest } from "../authenticate-request.js";
import { signBatch } from "../batch.js";
import { parseBody } from "../parse-body.js";
import { requestOrigin } from "../request-origin.js";
import { MAX_CSR_LENGTH, MAX_NAME_LENGTH, SignBatchBody, SignItemBody } from "../sign-body.js";

export interface SignRoutesOptions {
  /** Absent: no limits (tests of other behaviour, benchmarks). */
  readonly rateLimiter?: RateLimiter;
}

export async function signRoutes(app: FastifyInstance, options: SignRoutesOptions): Promise<void> {
  app.post("/sign", async (request) => {
    // Authentication first: an anonymous caller learns nothing about the body's validity.
    const caller = await authenticateRequest(app.authenticator, app.issuance, request, options.rateLimiter, app.metrics);
    const item = plainSignItem(request.body) ?? (await parseRecorded(SignItemBody, request, caller, app.issuance, options.rateLimiter));
    await options.rateLimiter?.admit(caller, 1);
    return app.issuance.sign(caller, requestOrigin(request), item);
  });

  app.post("/sign/batch", async (request) => {
    const caller = await authenticateRequest(app.authenticator, app.issuance, request, options.rateLimiter, app.metrics);
    const body = await parseRecorded(SignBatchBody, request, caller, app.issuance, options.rateLimiter);
    // The whole batch is admitted or refused: a half-charged batch would sign some items and 429 the rest.
    await options.rateLimiter?.admit(caller, body.items.length);
    return { items: await signBatch(app.issuance, caller, requestOrigin(request), body.items) };
  });
}

/**
 * The body every honest client sends, `{"name": …, "csr": …}`, checked without zod (its safeParse was
 * ~1.5 % of a request's CPU): exactly these two members, strings of SignItemBody's lengths, well-formed
 * Unicode. It accepts only bodies the schema accepts (a test holds the two together); anything else
 * is left to the schema, which also words the refusal.
 */
export function plainSignItem(body: unknown): SignItemBody | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const keys = Object.keys(body);
  if (keys.length !== 2) return undefined;
  const { name, csr } = body as Record<string, unknown>;
  if (!boundedText(name, MAX_NAME_LENGTH) || !boundedText(csr, MAX_CSR_LENGTH) || !Object.hasOwn(body, "name") || !Object.hasOwn(body, "csr")) return undefined;
  return { name, csr };
}

function boundedText(value: unknown, max: number): value is string {
  return typeof value === "string" && value.length >= 1 && value.length <= max && isWellFormed(value);
}

/** parseBody, and on refusal: charge one token, record the refusal (fail closed), then refuse. */
async function parseRecorded<T extends z.ZodMiniType>(
  schema: T,
  request: FastifyRequest,
  caller: Caller,
  service: IssuanceService,
  rateLimiter: RateLimiter | undefined,
): Promise<z.infer<T>> {
  try {
    return parseBody(schema, request.body);
  } catch (error) {
    if (!isKubecaError(error)) throw error;
    await rateLimiter?.admit(caller, 1);
    const name = (request.body as { name?: unknown } | null)?.name;
    try {
      await service.recordRefusal(caller, requestOrigin(request), { file: typeof name === "string" ? name : undefined, error });
    } catch (auditError) {
      if (isKubecaError(auditError) && auditError.code === "KUBECA_AUDIT_UNAVAILABLE") throw auditError;
      throw new KubecaError("KUBECA_AUDIT_UNAVAILABLE", "the refused request could not be recorded in the audit log", { cause: auditError });
    }
    throw error;
  }
}
