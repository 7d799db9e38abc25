// Which process wrote an install journal, so that recovery (kubeca status, run by monitoring while a
// renewal runs, or a second renew) never rolls back an install that is still going. A process is
// named by its pid, and on Linux by the boot it ran in and its start time, so neither a reboot nor a
// reused pid makes a dead installer look alive.
import { readFile } from "node:fs/promises";

export interface Installer {
  readonly pid: number;
  /** /proc/sys/kernel/random/boot_id; absent off Linux. */
  readonly bootId?: string;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot); absent off Linux. */
  readonly startTicks?: string;
}

async function bootId(): Promise<string | undefined> {
  return readFile("/proc/sys/kernel/random/boot_id", "utf8").then((s) => s.trim(), () => undefined);
}

async function startTicks(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from the last ")".
  return stat?.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

export async function currentInstaller(): Promise<Installer> {
  const [boot, ticks] = await Promise.all([bootId(), startTicks(process.pid)]);
  return { pid: process.pid, ...(boot ? { bootId: boot } : {}), ...(ticks ? { startTicks: ticks } : {}) };
}

/** Whether the process that wrote a journal still runs (this process never counts: it is recovering). */
export async function installerAlive(installer: Installer | undefined): Promise<boolean> {
  if (!installer || installer.pid === process.pid) return false;
  if (installer.bootId !== undefined) {
    if (installer.bootId !== (await bootId())) return false;
    return installer.startTicks !== undefined && installer.startTicks === (await startTicks(installer.pid));
  }
  try {
    process.kill(installer.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
