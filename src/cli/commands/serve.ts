// `kubeca serve`: the HTTP signing service as a plain Node server.
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { loadConfigFile, type LoadedConfig } from "../../config/index.js";
import { ServeMetrics } from "../../metrics/prometheus.js";
import { createApp } from "../../server/index.js";
import { BUILD_INFO } from "../build-info.js";
import type { CliIo, CommandRunner } from "../command.js";
import { prepareDevEnvironment } from "../dev-environment.js";
import { EXIT_OK } from "../exit-codes.js";
import { parseFlags, parsePort, UsageError } from "../flags.js";

export const serveCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
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
    });
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
      const env = await prepareDevEnvironment(values["dev-dir"]);
      loaded = values.config ? await loadConfigFile(values.config) : env.loaded;
      banner = devBanner(env.configPath, env.tokenPath, env.pkiDir, values.config);
    } else {
      loaded = await loadConfigFile(values.config!);
    }

    const https = tls ? { cert: await readFile(values["tls-cert"]!), key: await readFile(values["tls-key"]!) } : undefined;
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
