// Installs a set of files so that the node ends with either the whole new set or the whole old one:
//   1. copy every file about to be replaced into a fresh backup folder (fsync), with a journal;
//   2. write each new file to a temporary file in its target folder (mode set, fsync);
//   3. mark the journal "installing", rename every temporary file over its target, fsync the folders;
//   4. mark it "done". A failure in 3 puts back what was renamed from the backup.
// A crash during 3 leaves the journal "installing": recoverInterruptedInstalls() restores it on the next run.
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { FileWrite } from "./install-plan.js";

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
  readonly files: readonly JournalEntry[];
}

export interface InstallHooks {
  /** Called before each rename; tests throw here to prove a failure between two files is safe. */
  beforeRename?(path: string, index: number): void | Promise<void>;
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

async function writeDurably(path: string, content: string | Uint8Array, mode: number): Promise<void> {
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

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeJournal(backupDir: string, journal: Journal): Promise<void> {
  const path = join(backupDir, JOURNAL_FILE);
  const temp = `${path}.${randomBytes(4).toString("hex")}`;
  await writeDurably(temp, JSON.stringify(journal, null, 2) + "\n", 0o600);
  await rename(temp, path);
  await syncDir(backupDir);
}

/** `<root>/kubeca-backup-20261127T085500Z`, with a suffix if that exists already. */
export async function createBackupDir(root: string, now: Date): Promise<string> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  for (let n = 0; ; n++) {
    const dir = join(root, `${BACKUP_PREFIX}${stamp}${n === 0 ? "" : `-${n}`}`);
    try {
      await mkdir(dir, { mode: 0o700 });
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** Put one file back as the journal recorded it: the backed-up bytes, or no file at all. */
async function restoreEntry(backupDir: string, entry: JournalEntry): Promise<void> {
  if (entry.backup === null) {
    await removeQuietly(entry.path);
    return;
  }
  const temp = join(dirname(entry.path), `.${basename(entry.path)}.kubeca-restore-${randomBytes(4).toString("hex")}`);
  await writeDurably(temp, await readFile(join(backupDir, entry.backup)), entry.mode ?? 0o600);
  await rename(temp, entry.path);
}

export async function installAtomically(writes: readonly FileWrite[], backupDir: string, hooks: InstallHooks = {}): Promise<InstallReceipt> {
  // 1. Backup.
  const entries: JournalEntry[] = [];
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
    await mkdir(dirname(join(backupDir, backup)), { recursive: true, mode: 0o700 });
    await writeDurably(join(backupDir, backup), await readFile(w.path), mode);
    entries.push({ path: w.path, backup, mode, temp });
  }
  const journal: Journal = { version: 1, state: "prepared", startedAt: new Date().toISOString(), files: entries };
  await writeJournal(backupDir, journal);

  // 2. Temporary files next to their targets (same filesystem, so rename is atomic).
  const dirs = new Set<string>();
  try {
    for (const [i, w] of writes.entries()) {
      const dir = dirname(w.path);
      await mkdir(dir, { recursive: true, mode: 0o755 });
      dirs.add(dir);
      await writeDurably(entries[i]!.temp, w.content, w.mode);
    }
  } catch (e) {
    for (const entry of entries) await removeQuietly(entry.temp);
    journal.state = "rolled-back";
    await writeJournal(backupDir, journal);
    throw new InstallError(`could not write the new files (${(e as Error).message}); nothing was changed`, backupDir, { cause: e });
  }

  // 3. Rename, all or nothing.
  journal.state = "installing";
  await writeJournal(backupDir, journal);
  let renamed = 0;
  try {
    for (const [i, entry] of entries.entries()) {
      await hooks.beforeRename?.(entry.path, i);
      await rename(entry.temp, entry.path);
      renamed++;
    }
    for (const dir of dirs) await syncDir(dir);
  } catch (e) {
    for (const entry of entries.slice(renamed)) await removeQuietly(entry.temp);
    for (const entry of entries.slice(0, renamed).reverse()) await restoreEntry(backupDir, entry);
    for (const dir of dirs) await syncDir(dir);
    journal.state = "rolled-back";
    await writeJournal(backupDir, journal);
    const at = entries[renamed]?.path ?? "syncing folders";
    throw new InstallError(`install failed at ${at} (${(e as Error).message}); the ${renamed} file(s) already replaced were put back from ${backupDir}`, backupDir, { cause: e });
  }

  journal.state = "done";
  await writeJournal(backupDir, journal);
  return {
    backupDir,
    replaced: entries.filter((e) => e.backup !== null).map((e) => e.path),
    created: entries.filter((e) => e.backup === null).map((e) => e.path),
  };
}

/**
 * Finish what a crashed run left behind under `backupRoot`: an install caught mid-rename is rolled back
 * from its backup; temporary files of one caught earlier are removed. Returns one line per repair.
 */
export async function recoverInterruptedInstalls(backupRoot: string): Promise<string[]> {
  const repaired: string[] = [];
  const names = await readdir(backupRoot).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith(BACKUP_PREFIX)).sort()) {
    const backupDir = join(backupRoot, name);
    let journal: Journal;
    try {
      journal = JSON.parse(await readFile(join(backupDir, JOURNAL_FILE), "utf8")) as Journal;
    } catch {
      continue;
    }
    if (journal.state === "installing") {
      for (const entry of [...journal.files].reverse()) {
        await removeQuietly(entry.temp);
        await restoreEntry(backupDir, entry);
      }
      journal.state = "rolled-back";
      await writeJournal(backupDir, journal);
      repaired.push(`an install interrupted on ${journal.startedAt} was rolled back from ${backupDir}`);
    } else if (journal.state === "prepared") {
      for (const entry of journal.files) await removeQuietly(entry.temp);
      journal.state = "rolled-back";
      await writeJournal(backupDir, journal);
      repaired.push(`temporary files of an install interrupted on ${journal.startedAt} were removed (nothing had been replaced)`);
    }
  }
  return repaired;
}
