// Unknown routes: 404, or 405 with Allow when the path exists under another method.
import type { FastifyReply, FastifyRequest } from "fastify";
import { KubecaError } from "../errors/index.js";
import { sendProblem } from "./error-handler.js";

/** Path → methods, filled from fastify's onRoute hook as routes are registered. */
export type RouteTable = Map<string, Set<string>>;

export function createNotFoundHandler(routes: RouteTable) {
  return function notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const path = request.url.split("?", 1)[0] ?? "";
    const methods = routes.get(path);
    if (methods && methods.size > 0) {
      const allow = [...methods].sort().join(", ");
      reply.header("allow", allow);
      const error = new KubecaError("KUBECA_METHOD_NOT_ALLOWED", `${path} accepts ${allow}, not ${request.method}`);
      return sendProblem(error, request, reply);
    }
    return sendProblem(new KubecaError("KUBECA_NOT_FOUND", `no route ${request.method} ${path}`), request, reply);
  };
}
