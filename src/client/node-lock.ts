// One lock per node for the kubeca commands that write its certificates (renew, recover, and status
// when it repairs), so that two of them never interleave: two renews would both sign and both install,
// and a recovery beside a running renew could roll back its install.
//
// Why this is safe: the lock is a kernel flock(2) on <backup-root>/kubeca.lock, exclusive and
// non-blocking, taken by flock(1) (util-linux) on a descriptor this process opened and passes to it.
// flock locks belong to the open file description, which the child shares with us, so the lock stays
// held after flock(1) exits, for as long as this process keeps the file open; the kernel drops it
// when the process ends however it ends (SIGKILL, OOM kill, power loss), so it is never stale and no
// pid guess decides who may take it over. Node has no flock in core, and an addon for one syscall is
// not worth a native dependency; an O_EXCL file plus a liveness check needs an atomic takeover of a
// dead holder's file, which plain rename/link cannot give without a window where two win.
// The file is never removed (unlinking a flock'ed path lets a third process lock a new inode beside
// the old one); its content only names the holder for the message a refused run prints, and is
// emptied on release, so content found by a new holder is the name of one that died holding it.
import { spawn } from "node:child_process";
import { constants, existsSync } from "node:fs";
import { mkdir, open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { currentInstaller, type Installer } from "./installer-identity.js";

export const LOCK_FILE = "kubeca.lock";
/** flock(1)'s exit code when the lock is held elsewhere (its other failures keep their own codes). */
const CONFLICT = 75;

/** Who holds (or held) the lock, as written in the lock file. */
export interface LockHolder extends Installer {
  readonly command: string;
  readonly since: string;
}

export interface NodeLock {
  readonly path: string;
  /** Set when the file named a holder that ended without releasing it (killed, crashed). */
  readonly previous?: LockHolder;
  release(): Promise<void>;
}

/** The lock is held by another live process: nothing was done. */
export class NodeBusyError extends Error {
  override name = "NodeBusyError";
  constructor(
    message: string,
    readonly lockPath: string,
    readonly holder?: LockHolder,
  ) {
    super(message);
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    return typeof h.pid === "number" && typeof h.command === "string" && typeof h.since === "string" ? (h as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/** "another kubeca renew (pid 123) is running since …"; a holder is unnamed in the instant it starts. */
export function describeHolder(holder: LockHolder | undefined): string {
  return holder ? `another ${holder.command} (pid ${holder.pid}) is running since ${holder.since}` : "another kubeca process holds the lock (it has not named itself yet)";
}

/**
 * Where util-linux installs flock(1). Found by absolute path, not PATH: renew runs as root (a PATH
 * entry must not choose what it executes) and from the single executable on nodes whose PATH may be
 * anything.
 */
const FLOCK_PATHS = ["/usr/bin/flock", "/bin/flock"];

/** An operating-system "no such program" error (code ENOENT, syscall spawn), which the CLI reports as such. */
export function flockNotInstalled(lockPath: string): Error {
  return Object.assign(
    new Error(`cannot lock ${lockPath}: the flock command (util-linux) is not installed (looked for ${FLOCK_PATHS.join(", ")})`),
    { code: "ENOENT", syscall: "spawn", path: FLOCK_PATHS[0] },
  );
}

/** Runs flock(1) on `handle`'s descriptor: true when this process now holds the lock. */
async function flock(handle: FileHandle, path: string): Promise<boolean> {
  const program = FLOCK_PATHS.find((p) => existsSync(p));
  if (!program) throw flockNotInstalled(path);
  const child = spawn(program, ["--exclusive", "--nonblock", "--conflict-exit-code", String(CONFLICT), "3"], { stdio: ["ignore", "ignore", "pipe", handle.fd] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += String(d)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c) => resolve(c));
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") throw new Error(`cannot lock ${path}: the flock command (util-linux) is not installed; install util-linux and run again`);
    throw e;
  });
  if (code === 0) return true;
  if (code === CONFLICT) return false;
  throw new Error(`cannot lock ${path}: flock failed (exit ${code}: ${stderr.trim()})`);
}

/**
 * Takes the node's lock under `root` (created 0700 if missing; the file 0600) for `command`, or throws
 * NodeBusyError naming the holder. Never waits. Release it when done; if this process dies first, the
 * kernel releases it.
 */
export async function lockNode(root: string, command: string): Promise<NodeLock> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const path = join(root, LOCK_FILE);
  const handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    if (!(await flock(handle, path))) {
      const holder = parseHolder(await handle.readFile("utf8").catch(() => ""));
      throw new NodeBusyError(describeHolder(holder), path, holder);
    }
    await handle.chmod(0o600);
    const left = await handle.read({ buffer: Buffer.alloc(4096), position: 0 });
    const previous = parseHolder(left.buffer.subarray(0, left.bytesRead).toString("utf8"));
    const me: LockHolder = { ...(await currentInstaller()), command, since: new Date().toISOString() };
    const text = Buffer.from(JSON.stringify(me) + "\n");
    await handle.truncate(0);
    await handle.write(text, 0, text.length, 0);
    return {
      path,
      ...(previous ? { previous } : {}),
      async release() {
        await handle.truncate(0).finally(() => handle.close());
      },
    };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** One line for a refused run: who holds the node, that nothing was done, and what to do. */
export function busyLine(e: NodeBusyError): string {
  const stop = e.holder ? `, or if it hangs, stop it (kill ${e.holder.pid}); the next kubeca renew or recover rolls back what it left` : "";
  return `${e.message}; nothing was done: wait for it to finish and run again${stop} (lock ${e.lockPath})`;
}

/** The stderr line for a lock taken over from a holder that died. */
export function takeoverLine(lock: NodeLock): string | undefined {
  const p = lock.previous;
  return p ? `took over ${lock.path} from ${p.command} (pid ${p.pid}, since ${p.since}), which did not release it (killed, crashed, or the node rebooted)` : undefined;
}
