// The real kubeca service in this process for end-to-end tests: `kubeca serve --dev`'s sample cluster
// (node cp-1, 10.0.0.10, k8s.example.internal, memory signers) behind buildServer on 127.0.0.1:0, with
// the service's authenticator (bearer tokens and certificate proofs).
// Every start mints new CA keys, so two services are two different clusters' CAs.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { stringify } from "yaml";
import { join } from "node:path";
import { createAuthenticator } from "../../src/auth/create-authenticator.js";
import { prepareDevEnvironment, readToken, sampleConfig } from "../../src/cli/dev-environment.js";
import type { CaName } from "../../src/config/index.js";
import { createIssuanceService } from "../../src/issuance/create-service.js";
import { trustedCasOf } from "../../src/server/create-app.js";
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
  /** A cluster with external etcd: no etcd-ca, cluster.etcd.local false. */
  readonly externalEtcd?: boolean;
}

export async function startSigningService(dir: string, options: ServiceOptions = {}): Promise<RunningService> {
  if (options.externalEtcd) await writeExternalEtcdConfig(join(dir, "service"));
  const env = await prepareDevEnvironment(join(dir, "service"));
  const service = await createIssuanceService(env.loaded, { dev: true });
  // The service's own composition: tokens, and proofs with certificates of these (freshly minted) CAs.
  const caCertificates = new Map([...service.issuingCas].map(([name, ca]) => [name, ca.info.der] as const));
  const authenticator = await createAuthenticator(env.loaded.config, { caCertificates, trustedCas: trustedCasOf(service) });
  const app = buildServer({ service, authenticator, ...(options.tls ? { https: options.tls } : {}) });
  let batches = 0;
  app.addHook("onRequest", async (request) => {
    if (request.method === "POST" && request.url === "/v1/sign/batch") batches++;
  });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const tokenFile = join(dir, "token");
  await writeFile(tokenFile, (await readToken(env.tokenPath)) + "\n", { mode: 0o600 });
  const caPem = Object.fromEntries((await service.cas()).map((c) => [c.name, c.certificate])) as Record<CaName, string>;
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

/** The dev sample cluster with external etcd; prepareDevEnvironment keeps an existing config and token. */
async function writeExternalEtcdConfig(devDir: string): Promise<void> {
  const token = randomBytes(32).toString("base64url");
  const config = sampleConfig(createHash("sha256").update(token).digest("hex")) as { cluster: { etcd: { local: boolean } }; cas: Record<string, unknown> };
  config.cluster.etcd.local = false;
  delete config.cas["etcd-ca"];
  await mkdir(devDir, { recursive: true });
  await writeFile(join(devDir, "config.yaml"), stringify(config), { mode: 0o600 });
  await writeFile(join(devDir, "token"), token + "\n", { mode: 0o600 });
}
