// The app factory: one fastify instance with the route groups as encapsulated plugins, one body
// parser, one error handler and one not-found handler. It never listens; callers (cli serve,
// lambda, tests) decide how requests arrive.
import { randomUUID } from "node:crypto";
import type { Server as HttpsServer } from "node:https";
import { pino } from "pino";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { AuditReader } from "../audit/index.js";
import type { Authenticator } from "../auth/authenticator.js";
import { KubecaError } from "../errors/index.js";
import { authenticateRequest } from "./authenticate-request.js";
import { clientErrorHandler } from "./client-error.js";
import { auditRoutes } from "./routes/audit.js";
import type { IssuanceService } from "../issuance/types.js";
import { NO_METRICS, type IssuanceMetrics, type MetricsEndpoint } from "../metrics/index.js";
import "./decorations.js";
import { errorHandler } from "./error-handler.js";
import { useJsonBodies } from "./json-body.js";
import { createNotFoundHandler, type RouteTable } from "./not-found.js";
import { RequestLog } from "./request-log.js";
import { caRoutes } from "./routes/ca.js";
import { healthRoutes } from "./routes/health.js";
import { metricsRoutes } from "./routes/metrics.js";
import { nodeRoutes } from "./routes/nodes.js";
import { openApiRoutes } from "./routes/openapi.js";
import { rotationRoutes } from "./routes/rotation.js";
import { signRoutes } from "./routes/sign.js";
import type { RateLimiter } from "./rate-limiter.js";

/** 64 KiB: a batch of a node's kubeadm CSRs fits; anything bigger is refused before parsing. */
export const BODY_LIMIT = 64 * 1024;

export type ServerLoggerOptions = NonNullable<FastifyServerOptions["logger"]>;

export interface ServerDeps {
  readonly service: IssuanceService;
  readonly authenticator: Authenticator;
  /** The issuance log's reader for GET /v1/audit; without it the route answers 503. */
  readonly auditReader?: AuditReader;
  /** false (default) for none; true or pino options for JSON lines. Authorization is always redacted. */
  readonly logger?: ServerLoggerOptions;
  /** fastify's trustProxy, for a server behind a load balancer that sets X-Forwarded-For. Default false. */
  readonly trustProxy?: boolean | string | string[];
  /** Token buckets for the sign routes (createApp builds them from config.rateLimits); absent: no limits. */
  readonly rateLimiter?: RateLimiter;
  /** Serve HTTPS (kubeca serve --tls-cert/--tls-key): PEM certificate chain and key. */
  readonly https?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Where refused credentials and rate-limit refusals are counted (default: nowhere). */
  readonly metrics?: IssuanceMetrics;
  /** Serve GET /metrics from this registry; absent: no such route (Lambda). */
  readonly metricsEndpoint?: MetricsEndpoint;
}

/** Header paths that may carry credentials; never logged, whatever serializers a caller adds. */
const REDACTED = ["req.headers.authorization", "req.headers.cookie", "headers.authorization", "headers.cookie"];

function loggerOptions(logger: ServerLoggerOptions | undefined): ServerLoggerOptions {
  if (!logger) return false;
  const base = logger === true ? {} : logger;
  // Keep any paths the caller redacts as well; ours cannot be switched off.
  const own = Array.isArray(base.redact) ? base.redact : (base.redact?.paths ?? []);
  const destination = "stream" in base || "file" in base ? {} : { stream: stdoutLines() };
  return { ...base, ...destination, redact: { paths: [...REDACTED, ...own], censor: "[redacted]" } };
}

/**
 * Standard output, each line written at once with write(2), as Node writes process.stdout to files and
 * pipes on Linux. pino's default writes asynchronously through libuv's thread pool, and with a line per
 * request nearly every line was a write of its own: 20-40 µs of CPU each against 2-4 µs (measured). A
 * line under 4 KiB is also written whole to a pipe that several workers share.
 */
function stdoutLines() {
  return pino.destination({ fd: 1, sync: true });
}

function noSchemaCompiler(): never {
  throw new Error("kubeca routes declare no fastify schemas; validate with zod in the handler instead");
}

const unavailable = () => new KubecaError("KUBECA_NOT_READY", "this server was started without an audit log reader");
const unavailableReader: AuditReader = {
  read: async () => {
    throw unavailable();
  },
  chain: () => {
    throw unavailable();
  },
  checkpoints: () => {
    throw unavailable();
  },
};

export function buildServer(deps: ServerDeps): FastifyInstance {
  const options = {
    logger: loggerOptions(deps.logger),
    bodyLimit: BODY_LIMIT,
    // Request ids are ours alone: an id sent by a client could collide with or impersonate another
    // request in the audit log.
    genReqId: () => randomUUID(),
    requestIdHeader: false as const,
    // The routes are exactly those in openapi/openapi.yaml; no implicit HEAD twins.
    exposeHeadRoutes: false,
    trustProxy: deps.trustProxy ?? false,
    clientErrorHandler,
    logController: new RequestLog(),
    // No route declares a fastify schema (zod validates bodies, replies are plain JSON), so fastify's
    // ajv and fast-json-stringify compilers are never needed; supplying these keeps fastify from
    // loading them, and the build leaves them out of every bundle (scripts/build.mjs).
    schemaController: { compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler } },
  };
  // An HTTPS server changes fastify's raw-server type parameter only; the routes and hooks are the same.
  const app = (deps.https ? Fastify<HttpsServer>({ ...options, https: deps.https }) : Fastify(options)) as unknown as FastifyInstance;

  const routes: RouteTable = new Map();
  app.addHook("onRoute", (route) => {
    const path = route.url;
    const methods = routes.get(path) ?? new Set<string>();
    for (const m of [route.method].flat()) methods.add(m);
    routes.set(path, methods);
  });

  app.decorate("issuance", deps.service);
  app.decorate("authenticator", deps.authenticator);
  app.decorate("metrics", deps.metrics ?? NO_METRICS);
  useJsonBodies(app);
  // A callback hook, not an async one: fastify runs it without a promise and a microtask per request.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(createNotFoundHandler(routes));

  app.register(healthRoutes);
  if (deps.metricsEndpoint) app.register(metricsRoutes, { endpoint: deps.metricsEndpoint });
  app.register(openApiRoutes);
  app.register(caRoutes, { prefix: "/v1" });
  app.register(signRoutes, { prefix: "/v1", ...(deps.rateLimiter ? { rateLimiter: deps.rateLimiter } : {}) });
  app.register(rotationRoutes, { prefix: "/v1", ...(deps.rateLimiter ? { rateLimiter: deps.rateLimiter } : {}) });
  app.register(nodeRoutes, { prefix: "/v1", ...(deps.rateLimiter ? { rateLimiter: deps.rateLimiter } : {}) });
  app.register(auditRoutes, {
    prefix: "/v1",
    reader: deps.auditReader ?? unavailableReader,
    authorize: async (request) => {
      const caller = await authenticateRequest(deps.authenticator, deps.service, request, deps.rateLimiter, deps.metrics);
      if (caller.role !== "auditor") {
        throw new KubecaError("KUBECA_FORBIDDEN", `${caller.subject} is a ${caller.role} caller; only the auditor role may read the audit log`);
      }
    },
  });
  return app;
}
