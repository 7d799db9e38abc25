// Structured log lines for the controller, written by pino (fastify's logger, so the signer and the
// server log alike): one JSON object per line on a stream (stderr in the CLI, CloudWatch in Lambda)
// with `time` (ISO 8601), `level` (its name), `component: "kubelet-signer"`, `msg` and the call's
// fields. Tests pass a silent or capturing log.
import { pino } from "pino";

export type LogFields = Readonly<Record<string, unknown>>;

export interface KubeletLog {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export function jsonLinesLog(stream: NodeJS.WritableStream, options: { debug?: boolean; now?: () => Date } = {}): KubeletLog {
  const now = options.now ?? (() => new Date());
  const logger = pino(
    {
      level: options.debug ? "debug" : "info",
      // No pid or hostname: the same fields as the lines operators already parse.
      base: { component: "kubelet-signer" },
      timestamp: () => `,"time":${JSON.stringify(now().toISOString())}`,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  return {
    debug: (msg, fields = {}) => logger.debug(fields, msg),
    info: (msg, fields = {}) => logger.info(fields, msg),
    warn: (msg, fields = {}) => logger.warn(fields, msg),
    error: (msg, fields = {}) => logger.error(fields, msg),
  };
}

export const silentLog: KubeletLog = { debug() {}, info() {}, warn() {}, error() {} };
