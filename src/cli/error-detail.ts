// Where an unexpected error's full detail goes when --debug was not given: a file only this user can
// read, so the operator sees one line and support can still see the trace.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The file's path, or undefined when it could not be written (a read-only /tmp, say). */
export function writeErrorDetail(command: string, error: Error): string | undefined {
  const file = join(tmpdir(), `kubeca-error-${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}.txt`);
  const causes: string[] = [];
  for (let cause = error.cause; cause !== undefined && causes.length < 5; cause = cause instanceof Error ? cause.cause : undefined) {
    causes.push(`caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
  }
  try {
    writeFileSync(file, [`${command}: unexpected error`, error.stack ?? error.message, ...causes, ""].join("\n"), { mode: 0o600, flag: "wx" });
    return file;
  } catch {
    return undefined;
  }
}
