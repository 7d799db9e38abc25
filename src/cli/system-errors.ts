// What the operating system's errors (Node's `code: "ENOENT"` errors) mean to an operator: one message,
// what to do, and the exit code (2: fix the command line or a file; 3: unavailable, retry later).
import { EXIT_UNAVAILABLE, EXIT_USAGE } from "./exit-codes.js";

export interface SystemErrorReport {
  readonly message: string;
  readonly hint: string;
  readonly exitCode: number;
}

interface SystemError extends Error {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

function isSystemError(e: unknown): e is SystemError {
  const code: unknown = e instanceof Error ? (e as Partial<SystemError>).code : undefined;
  return typeof code === "string" && /^E[A-Z_]+$/.test(code);
}

const NETWORK_UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);

/** undefined when `e` is not an operating-system error; callers then report it their own way. */
export function describeSystemError(e: unknown): SystemErrorReport | undefined {
  if (!isSystemError(e)) return undefined;
  const where = e.path ?? (e.address ? `${e.address}${e.port === undefined ? "" : `:${e.port}`}` : e.hostname ?? "");
  const what = `${e.syscall ? `${e.syscall} ` : ""}${where}`.trim();
  switch (e.code) {
    case "EADDRINUSE":
      return { message: `${where} is already in use (${e.code})`, hint: "Stop the process that holds the port, or choose another port (--port, --health-port; 0 picks a free one).", exitCode: EXIT_UNAVAILABLE };
    case "EADDRNOTAVAIL":
      return { message: `${where} is not an address of this machine (${e.code})`, hint: "Listen on an address this machine has (--host), e.g. 127.0.0.1 or 0.0.0.0.", exitCode: EXIT_USAGE };
    case "ENOENT":
      if (e.syscall === "spawn") return { message: e.message, hint: "Install the program it names with the system's package manager, then run again.", exitCode: EXIT_USAGE };
      return { message: `${e.path ?? what}: no such file or directory`, hint: "Check the path; relative paths are read from the current directory.", exitCode: EXIT_USAGE };
    case "EACCES":
    case "EPERM":
      if (e.syscall === "listen" || e.syscall === "bind") {
        return { message: `permission denied to listen on ${where} (${e.code})`, hint: "Ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a port above 1023.", exitCode: EXIT_USAGE };
      }
      return { message: `permission denied: ${what} (${e.code})`, hint: "Run as a user that may read and write these files (root for /etc/kubernetes), or fix their owner and mode.", exitCode: EXIT_USAGE };
    case "EISDIR":
      return { message: `${e.path ?? what} is a directory, not a file`, hint: "Name the file itself.", exitCode: EXIT_USAGE };
    case "ENOTDIR":
      return { message: `${e.path ?? what}: a part of this path is a file, not a directory`, hint: "Check the path.", exitCode: EXIT_USAGE };
    case "EROFS":
      return { message: `${e.path ?? what} is on a read-only file system`, hint: "Write to a writable volume (in a container: a volume or emptyDir mounted there).", exitCode: EXIT_USAGE };
    case "ENOSPC":
      return { message: `no space left on the device of ${e.path ?? what}`, hint: "Free space on that file system, then run again.", exitCode: EXIT_UNAVAILABLE };
  }
  if (NETWORK_UNAVAILABLE.has(e.code)) {
    return { message: `cannot reach ${where || "the server"} (${e.code})`, hint: "Check the address, that the server runs and that the network lets you through; then run again.", exitCode: EXIT_UNAVAILABLE };
  }
  return undefined;
}
