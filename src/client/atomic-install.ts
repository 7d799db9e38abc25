// Installs a set of files so that the node ends with either the whole new set or the whole old one:
//   1. copy every file about to be replaced into a fresh backup folder, with a journal ("prepared");
//   2. write each new file to a temporary file in its target folder;
//   3. mark the journal "installing", rename every temporary file over its target (each pair's key
//      before its certificate, so at most one pair is ever mixed), fsync the folders;
//   4. mark it "done". A failure in 3 puts back what was renamed from the backup.
// A crash during 3 leaves the journal "installing"; recoverInterruptedInstalls() rolls it back from
// the backup before anything uses the files: the kubeca-recover unit before the kubelet starts, and
// every kubeca renew, status and recover.
//
// Power loss: every file is fsynced when written, and every folder whose entries changed (created,
// renamed into, unlinked) is fsynced before the journal moves on, so whatever state the journal is
// found in after a power cut, what it relies on is on disk: the backups before "installing", the
// renames before "done", the restores before "rolled-back". test/client/install-crash.test.ts checks
// that order on the recorded operations, and kills the installer at every step.
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { FileWrite } from "./install-plan.js";
import { currentInstaller, installerAlive, type Installer } from "./installer-identity.js";

export const JOURNAL_FILE = "kubeca-install.json";
export const BACKUP_PREFIX = "kubeca-backup-";

type JournalState = "prepared" | "installing" | "done" | "rolled-back";

interface JournalEntry {
  readonly path: string;
  /** Relative to the backup folder; null when the file did not exist (the install creates it). */
  readonly backup: string | null;
  readonly mode: number | null;
  readonly temp: string;
}

interface Journal {
  readonly version: 1;
  state: JournalState;
  readonly startedAt: string;
  /** The process that wrote it, so a recovery never rolls back an install still running. */
  readonly installer?: Installer;
  readonly files: readonly JournalEntry[];
}

/** One file-system operation, announced before it runs (tests record them, or stop the process there). */
export type InstallStep =
  | { readonly op: "mkdir"; readonly path: string }
  | { readonly op: "write"; readonly path: string }
  | { readonly op: "rename"; readonly from: string; readonly to: string }
  | { readonly op: "unlink"; readonly path: string }
  | { readonly op: "sync-dir"; readonly path: string }
  | { readonly op: "journal"; readonly path: string; readonly state: JournalState };

export interface InstallHooks {
  /** Called before each operation; tests throw here, or kill the process, to prove each step safe. */
  step?(step: InstallStep): void | Promise<void>;
}

export interface InstallReceipt {
  readonly backupDir: string;
  readonly replaced: readonly string[];
  readonly created: readonly string[];
}

export class InstallError extends Error {
  override name = "InstallError";
  constructor(
    message: string,
    readonly backupDir: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** The durable file operations, each announced to the hooks first. */
class Durable {
  constructor(private readonly hooks: InstallHooks) {}

  async write(path: string, content: string | Uint8Array, mode: number): Promise<void> {
    await this.hooks.step?.({ op: "write", path });
    const handle = await open(path, "wx", mode);
    try {
      // The umask may have narrowed `mode`; set it exactly.
      await handle.chmod(mode);
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async rename(from: string, to: string): Promise<void> {
    await this.hooks.step?.({ op: "rename", from, to });
    await rename(from, to);
  }

  /** Removes `path` if it exists; true when it did. */
  async unlink(path: string): Promise<boolean> {
    await this.hooks.step?.({ op: "unlink", path });
    try {
      await unlink(path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw e;
    }
  }

  /** mkdir -p, fsyncing the parent of every folder it creates. */
  async mkdirs(dir: string, mode: number): Promise<void> {
    const missing: string[] = [];
    for (let d = dir; ; d = dirname(d)) {
      const found = await stat(d).then(() => true, (e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? false : Promise.reject(e)));
      if (found) break;
      missing.unshift(d);
      if (dirname(d) === d) break;
    }
    for (const d of missing) {
      await this.hooks.step?.({ op: "mkdir", path: d });
      await mkdir(d, { mode }).catch((e: NodeJS.ErrnoException) => (e.code === "EEXIST" ? undefined : Promise.reject(e)));
      await this.syncDir(dirname(d));
    }
  }

  async syncDir(dir: string): Promise<void> {
    await this.hooks.step?.({ op: "sync-dir", path: dir });
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Replaces the journal atomically: a new file, fsynced, renamed over the old one, the folder fsynced. */
  async journal(backupDir: string, journal: Journal): Promise<void> {
    const path = join(backupDir, JOURNAL_FILE);
    await this.hooks.step?.({ op: "journal", path, state: journal.state });
    const temp = `${path}.${randomBytes(4).toString("hex")}`;
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(JSON.stringify(journal, null, 2) + "\n");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    const dir = await open(backupDir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

/** `<root>/kubeca-backup-20261127T085500Z`, with a suffix if that exists already; its entry is on disk. */
export async function createBackupDir(root: string, now: Date, hooks: InstallHooks = {}): Promise<string> {
  const fs = new Durable(hooks);
  await fs.mkdirs(root, 0o700);
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  for (let n = 0; ; n++) {
    const dir = join(root, `${BACKUP_PREFIX}${stamp}${n === 0 ? "" : `-${n}`}`);
    try {
      await hooks.step?.({ op: "mkdir", path: dir });
      await mkdir(dir, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      continue;
    }
    await fs.syncDir(root);
    return dir;
  }
}

/** Put files back as the journal recorded them (the backed-up bytes, or no file), then fsync their folders. */
async function restore(fs: Durable, backupDir: string, entries: readonly JournalEntry[]): Promise<void> {
  const dirs = new Set<string>();
  for (const entry of entries) {
    dirs.add(dirname(entry.path));
    await fs.unlink(entry.temp);
    if (entry.backup === null) {
      await fs.unlink(entry.path);
      continue;
    }
    // One fixed name, so a restore cut off by a crash leaves nothing the next one does not clear.
    const temp = join(dirname(entry.path), `.${basename(entry.path)}.kubeca-restore`);
    await fs.unlink(temp);
    await fs.write(temp, await readFile(join(backupDir, entry.backup)), entry.mode ?? 0o600);
    await fs.rename(temp, entry.path);
  }
  for (const dir of dirs) await fs.syncDir(dir);
}

export async function installAtomically(writes: readonly FileWrite[], backupDir: string, hooks: InstallHooks = {}): Promise<InstallReceipt> {
  const fs = new Durable(hooks);
  // 1. Backup: every file, then every folder that received one, so all of it is on disk before the
  //    journal says "installing".
  const entries: JournalEntry[] = [];
  const backupDirs = new Set<string>();
  for (const w of writes) {
    const temp = join(dirname(w.path), `.${basename(w.path)}.kubeca-${randomBytes(6).toString("hex")}`);
    let mode: number;
    try {
      mode = (await stat(w.path)).mode & 0o7777;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      entries.push({ path: w.path, backup: null, mode: null, temp });
      continue;
    }
    const backup = join("files", w.path.replace(/^[/\\]+/, ""));
    const target = join(backupDir, backup);
    await fs.mkdirs(dirname(target), 0o700);
    await fs.write(target, await readFile(w.path), mode);
    backupDirs.add(dirname(target));
    entries.push({ path: w.path, backup, mode, temp });
  }
  for (const dir of backupDirs) await fs.syncDir(dir);
  const journal: Journal = { version: 1, state: "prepared", startedAt: new Date().toISOString(), installer: await currentInstaller(), files: entries };
  await fs.journal(backupDir, journal);

  // 2. Temporary files next to their targets (same filesystem, so rename is atomic).
  const dirs = new Set<string>();
  try {
    for (const [i, w] of writes.entries()) {
      const dir = dirname(w.path);
      await fs.mkdirs(dir, 0o755);
      dirs.add(dir);
      await fs.write(entries[i]!.temp, w.content, w.mode);
    }
    for (const dir of dirs) await fs.syncDir(dir);
  } catch (e) {
    for (const entry of entries) await fs.unlink(entry.temp).catch(() => undefined);
    for (const dir of dirs) await fs.syncDir(dir);
    journal.state = "rolled-back";
    await fs.journal(backupDir, journal);
    throw new InstallError(`could not write the new files (${(e as Error).message}); nothing was changed`, backupDir, { cause: e });
  }

  // 3. Rename, all or nothing.
  journal.state = "installing";
  await fs.journal(backupDir, journal);
  let renamed = 0;
  try {
    for (const entry of entries) {
      await fs.rename(entry.temp, entry.path);
      renamed++;
    }
    for (const dir of dirs) await fs.syncDir(dir);
  } catch (e) {
    for (const entry of entries.slice(renamed)) await fs.unlink(entry.temp).catch(() => undefined);
    await restore(fs, backupDir, entries.slice(0, renamed).reverse());
    for (const dir of dirs) await fs.syncDir(dir);
    journal.state = "rolled-back";
    await fs.journal(backupDir, journal);
    const at = entries[renamed]?.path ?? "syncing folders";
    throw new InstallError(`install failed at ${at} (${(e as Error).message}); the ${renamed} file(s) already replaced were put back from ${backupDir}`, backupDir, { cause: e });
  }

  journal.state = "done";
  await fs.journal(backupDir, journal);
  return {
    backupDir,
    replaced: entries.filter((e) => e.backup !== null).map((e) => e.path),
    created: entries.filter((e) => e.backup === null).map((e) => e.path),
  };
}

/** An install whose journal says it did not finish, found under a backup root. */
export interface InterruptedInstall {
  readonly backupDir: string;
  readonly state: "prepared" | "installing";
  readonly startedAt: string;
  /** Still running in another process: leave it alone. */
  readonly running: boolean;
}

/** Installs under `backupRoot` that did not finish (read only: nothing is changed). */
export async function findInterruptedInstalls(backupRoot: string): Promise<InterruptedInstall[]> {
  const found: InterruptedInstall[] = [];
  // No folder: nothing was ever installed here. Any other failure (a folder that cannot be read) must
  // not pass for "nothing to repair".
  const names = await readdir(backupRoot).catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? ([] as string[]) : Promise.reject(e)));
  for (const name of names.filter((n) => n.startsWith(BACKUP_PREFIX)).sort()) {
    const backupDir = join(backupRoot, name);
    let journal: Journal;
    try {
      journal = JSON.parse(await readFile(join(backupDir, JOURNAL_FILE), "utf8")) as Journal;
    } catch {
      continue; // no journal yet: the crash came before anything was written outside the backup
    }
    if (journal.state !== "prepared" && journal.state !== "installing") continue;
    found.push({ backupDir, state: journal.state, startedAt: journal.startedAt, running: await installerAlive(journal.installer) });
  }
  return found;
}

/**
 * Finish what a crashed run left behind under `backupRoot`: an install caught mid-rename is rolled back
 * from its backup; temporary files of one caught earlier are removed. An install still running in
 * another process is left alone. Idempotent: a crash during recovery is recovered by the next one.
 * Returns one line per repair.
 */
export async function recoverInterruptedInstalls(backupRoot: string, hooks: InstallHooks = {}): Promise<string[]> {
  const fs = new Durable(hooks);
  const repaired: string[] = [];
  for (const found of await findInterruptedInstalls(backupRoot)) {
    if (found.running) {
      repaired.push(`an install started on ${found.startedAt} is still running (${found.backupDir}); left alone`);
      continue;
    }
    const journal = JSON.parse(await readFile(join(found.backupDir, JOURNAL_FILE), "utf8")) as Journal;
    if (journal.state === "installing") {
      await restore(fs, found.backupDir, [...journal.files].reverse());
      journal.state = "rolled-back";
      await fs.journal(found.backupDir, journal);
      repaired.push(`an install interrupted on ${journal.startedAt} was rolled back from ${found.backupDir}`);
    } else {
      const dirs = new Set<string>();
      for (const entry of journal.files) if (await fs.unlink(entry.temp)) dirs.add(dirname(entry.temp));
      for (const dir of dirs) await fs.syncDir(dir);
      journal.state = "rolled-back";
      await fs.journal(found.backupDir, journal);
      repaired.push(`temporary files of an install interrupted on ${journal.startedAt} were removed (nothing had been replaced)`);
    }
  }
  return repaired;
}
