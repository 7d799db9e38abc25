// Structured log lines for the controller: one JSON object per line on a stream (stderr in the
// CLI, CloudWatch in Lambda). Tests pass a silent or capturing log.
export type LogFields = Readonly<Record<string, unknown>>;

export interface KubeletLog {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export function jsonLinesLog(stream: NodeJS.WritableStream, options: { debug?: boolean; now?: () => Date } = {}): KubeletLog {
  const now = options.now ?? (() => new Date());
  const line = (level: string) => (msg: string, fields: LogFields = {}) => {
    stream.write(JSON.stringify({ time: now().toISOString(), level, component: "kubelet-signer", msg, ...fields }) + "\n");
  };
  return { debug: options.debug ? line("debug") : () => {}, info: line("info"), warn: line("warn"), error: line("error") };
}

export const silentLog: KubeletLog = { debug() {}, info() {}, warn() {}, error() {} };
