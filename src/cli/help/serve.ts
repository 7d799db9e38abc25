// `kubeca serve --help`. Help texts import nothing heavy: `kubeca <command> --help` loads no SDK.

export const serveHelp = `Usage: kubeca serve --config FILE [flags]
       kubeca serve --dev [--dev-dir DIR] [--config FILE]

Runs the signing service (POST /v1/sign, POST /v1/sign/batch, GET /v1/ca, GET /v1/audit, /healthz,
/readyz, and its OpenAPI document at /openapi.yaml and /openapi.json), and GET /metrics for
Prometheus (docs/metrics.md), all on one listener: /metrics asks for no credentials.

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
  --workers N       server processes that take requests and sign (default: the CPU count minus
                    one, for the primary; on 2 CPUs or fewer, 1). A primary process keeps the one
                    audit log, idempotency window and rate limits for all of them, restarts a
                    worker that dies, and drains them all on SIGTERM. 1: a single process, no
                    workers (the least CPU per request and the lowest latency at low load).
  -h, --help        show this help
`;
