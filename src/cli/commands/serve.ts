// `kubeca serve`: the HTTP signing service as a plain Node server: one process (--workers 1), or a
// primary that owns the audit log, idempotency and rate limits with N workers that serve HTTP and sign
// (src/server/cluster).
import cluster from "node:cluster";
import { readFile } from "node:fs/promises";
import { createServer, isIP } from "node:net";
import { availableParallelism } from "node:os";
import { loadConfigFile, type LoadedConfig } from "../../config/index.js";
import { ServeMetrics } from "../../metrics/prometheus.js";
import { createApp } from "../../server/index.js";
import { defaultWorkerCount } from "../../server/cluster/worker-count.js";
import { BUILD_INFO, isSingleExecutable } from "../build-info.js";
import type { CliIo, CommandRunner } from "../command.js";
import { prepareDevEnvironment } from "../dev-environment.js";
import { EXIT_FAILURE, EXIT_OK } from "../exit-codes.js";
import { parseFlags, parsePort, UsageError } from "../flags.js";

/** More workers than this is a typo, not a machine. */
const MAX_WORKERS = 256;

export const serveCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    if (cluster.isWorker) {
      // A worker takes everything from its primary's start message; the primary reports its failures.
      const { runWorker } = await import("../../server/cluster/run-worker.js");
      return runWorker({ version: BUILD_INFO.version }).then(
        () => EXIT_OK,
        () => EXIT_FAILURE,
      );
    }
    const { values } = parseFlags(argv, {
      config: { type: "string" },
      dev: { type: "boolean", default: false },
      "dev-dir": { type: "string", default: ".kubeca-dev" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8080" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "plain-http": { type: "boolean", default: false },
      "trust-proxy": { type: "boolean", default: false },
      "log-level": { type: "string", default: "info" },
      workers: { type: "string" },
    });
    const workers = values.workers === undefined ? defaultWorkerCount(availableParallelism()) : parseWorkers(values.workers);
    const host = values.host;
    const port = parsePort(values.port);
    const loopback = isLoopback(host);
    if (values.dev && !loopback) {
      throw new UsageError(`--dev listens on loopback only; ${host} is not a loopback address`);
    }
    if (!values.dev && !values.config) {
      throw new UsageError("--config FILE is required (or --dev for a development CA); kubeca never runs without a config");
    }
    if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"])) {
      throw new UsageError("--tls-cert and --tls-key go together");
    }
    const tls = values["tls-cert"] && values["tls-key"];
    if (!values.dev && !loopback && !tls && !values["plain-http"]) {
      throw new UsageError(
        `refusing to send bearer tokens over plain HTTP on ${host}: pass --tls-cert/--tls-key, or --plain-http behind a TLS-terminating proxy`,
      );
    }

    let loaded: LoadedConfig;
    let banner: string | undefined;
    if (values.dev) {
      // A dev start mints new CAs and writes their certificates over the folder's; a second
      // `npm start` beside a running one must fail on the port before it does that.
      await checkPortFree(host, port);
      const env = await prepareDevEnvironment(values["dev-dir"]);
      loaded = values.config ? await loadConfigFile(values.config) : env.loaded;
      banner = devBanner(env.configPath, env.tokenPath, env.pkiDir, values.config);
    } else {
      loaded = await loadConfigFile(values.config!);
    }

    const https = tls ? { cert: await readFile(values["tls-cert"]!), key: await readFile(values["tls-key"]!) } : undefined;
    if (workers > 1) {
      const { startPrimary } = await import("../../server/cluster/run-primary.js");
      const primary = await startPrimary({
        loaded,
        dev: values.dev,
        workers,
        host,
        port,
        https,
        trustProxy: values["trust-proxy"],
        logLevel: values["log-level"],
        version: BUILD_INFO.version,
        ...((await isSingleExecutable()) ? { workerArgv: ["serve", ...argv] } : {}),
        log: (line) => io.stderr.write(line),
      });
      // Closing drains every worker, then proves the audit head with one last checkpoint.
      process.once("SIGINT", () => void primary.close());
      process.once("SIGTERM", () => void primary.close());
      if (banner) io.stderr.write(banner);
      io.stderr.write(`kubeca: serving on ${primary.address.replace("0.0.0.0", host)} with ${workers} workers\n`);
      return EXIT_OK;
    }
    const app = await createApp(loaded, {
      dev: values.dev,
      logger: { level: values["log-level"] },
      trustProxy: values["trust-proxy"],
      prometheus: new ServeMetrics({ version: BUILD_INFO.version }),
      ...(https ? { https } : {}),
    });
    // Closing the app waits for requests in flight and proves the audit head with a last checkpoint.
    process.once("SIGINT", () => void app.close());
    process.once("SIGTERM", () => void app.close());

    let address: string;
    try {
      address = await app.listen({ host, port });
    } catch (e) {
      await app.close(); // the audit log and signers were opened; a port in use must not leave them open
      throw e;
    }
    if (banner) io.stderr.write(banner);
    io.stderr.write(`kubeca: serving on ${address.replace("0.0.0.0", host)}\n`);
    return EXIT_OK;
  },
};

/** Fails as listen would (EADDRINUSE, EACCES) if host:port cannot be listened on now; port 0 always can. */
async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen({ host, port, exclusive: true }, () => resolve());
  });
  await new Promise((resolve) => probe.close(resolve));
}

function parseWorkers(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new UsageError(`--workers must be a whole number from 1 to ${MAX_WORKERS} (1: one process, no workers), not "${text}"`);
  }
  return n;
}

function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

function devBanner(configPath: string, tokenPath: string, pkiDir: string, customConfig: string | undefined): string {
  const line = "!".repeat(78);
  return [
    line,
    "!!  DEVELOPMENT CA — NOT FOR A REAL CLUSTER",
    "!!  CA keys exist only in this process and are new at every start; every certificate",
    "!!  issued now stops chaining after a restart.",
    `!!  config : ${customConfig ?? configPath}`,
    `!!  token  : ${tokenPath}  (node cp-1)`,
    `!!  CA certs (kubeadm layout): ${pkiDir}/ca.crt, etcd/ca.crt, front-proxy-ca.crt`,
    line,
    "",
  ].join("\n");
}
