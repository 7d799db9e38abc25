// `kubeca serve`: the HTTP signing service as a plain Node server.
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { loadConfigFile, type LoadedConfig } from "../../config/index.js";
import { ServeMetrics } from "../../metrics/prometheus.js";
import { createApp } from "../../server/index.js";
import { BUILD_INFO } from "../build-info.js";
import type { CliCommand, CliIo } from "../command.js";
import { prepareDevEnvironment } from "../dev-environment.js";
import { EXIT_OK } from "../exit-codes.js";
import { parseFlags, parsePort, UsageError } from "../flags.js";

const help = `Usage: kubeca serve --config FILE [flags]
       kubeca serve --dev [--dev-dir DIR] [--config FILE]

Runs the signing service (POST /v1/sign, POST /v1/sign/batch, GET /v1/ca, /healthz, /readyz) and
GET /metrics for Prometheus (docs/metrics.md), all on one listener: /metrics asks for no credentials.

Flags:
  --config FILE     the kubeca config (YAML). Required unless --dev.
  --dev             development mode: in-memory CA keys (lost at exit), a sample one-node cluster,
                    a token in <dev-dir>/token, loopback only. Never use it for a real cluster.
  --dev-dir DIR     where --dev keeps config.yaml, token, pki/ and audit.jsonl (default ./.kubeca-dev)
  --host HOST       address to listen on (default 127.0.0.1)
  --port PORT       port to listen on (default 8080; 0 picks a free one)
  --tls-cert FILE   serve HTTPS with this certificate (PEM, chain after the leaf)
  --tls-key FILE    the private key for --tls-cert
  --plain-http      serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy)
  --trust-proxy     take the client address from X-Forwarded-For (audit records, rate limits of
                    refused credentials); only behind a proxy you run, which sets that header
  --log-level LEVEL fatal|error|warn|info|debug (default info)
  -h, --help        show this help
`;

export const serveCommand: CliCommand = {
  path: ["serve"],
  summary: "run the signing service",
  help,
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

    const address = await app.listen({ host, port });
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
