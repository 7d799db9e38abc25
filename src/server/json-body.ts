// The only body parser: application/json. Anything else is 415. The raw bytes are kept beside the
// parsed body because authenticators receive them (CredentialInput.body), e.g. to check a proof
// computed over the exact request.
import type { FastifyInstance, FastifyRequest } from "fastify";

const rawBodies = new WeakMap<FastifyRequest, Uint8Array>();

export function rawBody(request: FastifyRequest): Uint8Array | undefined {
  return rawBodies.get(request);
}

export function useJsonBodies(app: FastifyInstance): void {
  // fastify's default JSON parser (with its prototype-poisoning protection), fed the buffer we keep.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const bytes = body as Buffer;
    rawBodies.set(request, bytes);
    // secure-json-parse (behind the default parser) reads a Buffer as UTF-8 itself.
    parseJson(request, bytes as unknown as string, done);
  });
}
