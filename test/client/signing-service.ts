// The real kubeca service in this process for end-to-end tests: `kubeca serve --dev`'s sample cluster
// (node cp-1, 10.0.0.10, k8s.example.internal, memory signers) behind buildServer on 127.0.0.1:0.
// Every start mints new CA keys, so two services are two different clusters' CAs.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTokenAuthenticator } from "../../src/auth/bearer-token.js";
import { prepareDevEnvironment, readToken } from "../../src/cli/dev-environment.js";
import type { CaName } from "../../src/config/index.js";
import { createIssuanceService } from "../../src/issuance/create-service.js";
import { buildServer } from "../../src/server/index.js";

export interface RunningService {
  readonly url: string;
  readonly tokenFile: string;
  readonly caPem: Readonly<Record<CaName, string>>;
  /** POST /v1/sign/batch requests received. */
  readonly batches: () => number;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Serve HTTPS with this certificate and key (PEM). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export async function startSigningService(dir: string, options: ServiceOptions = {}): Promise<RunningService> {
  const env = await prepareDevEnvironment(join(dir, "service"));
  const service = await createIssuanceService(env.loaded, { dev: true });
  const authenticator = createTokenAuthenticator(env.loaded.config.callers.tokens, env.loaded.config.nodes);
  const app = buildServer({ service, authenticator, ...(options.tls ? { https: options.tls } : {}) });
  let batches = 0;
  app.addHook("onRequest", async (request) => {
    if (request.method === "POST" && request.url === "/v1/sign/batch") batches++;
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const tokenFile = join(dir, "token");
  await writeFile(tokenFile, (await readToken(env.tokenPath)) + "\n", { mode: 0o600 });
  const caPem = Object.fromEntries(service.cas().map((c) => [c.name, c.certificate])) as Record<CaName, string>;
  return {
    url,
    tokenFile,
    caPem,
    batches: () => batches,
    async close() {
      await app.close();
      await service.close();
    },
  };
}
