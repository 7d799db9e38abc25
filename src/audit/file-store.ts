// The default store: one JSONL file, one record per line, on disk (fsync) before append() resolves.
// One writer per file: two processes must not share a file (use the dynamodb store for many writers).
// Appends that arrive while a write is in flight are sealed and written together with one fsync
// (group commit): each still resolves only once its own line is on disk, and the chain order is
// the order append() was called. The file is opened on first use and again after any write error,
// so a full disk that is freed, or a path that is fixed, heals by itself.
import { mkdir, open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { KubecaError } from "../errors/index.js";
import { canonicalJson } from "./canonical-json.js";
import type { AuditCheckpoint } from "./checkpoint.js";
import { CheckpointSchedule, type CheckpointScheduleOptions } from "./checkpoint-schedule.js";
import { createFileAuditReader, type FileAuditPaths } from "./file-reader.js";
import { appendLines, prepareForAppend } from "./jsonl-file.js";
import { asStoredRecord, EMPTY_HEAD, recordLine, sealRecord, type ChainHead } from "./record.js";
import { SerialQueue } from "./serial-queue.js";
import type { AuditStore } from "./store.js";
import type { AuditEvent, AuditRecord } from "./types.js";

/** Seconds a caller should wait after the file could not be written. */
const RETRY_AFTER_SECONDS = 5;
/** Records per write at most, so a burst cannot build one unbounded buffer. */
const MAX_BATCH = 256;

export interface FileAuditStoreOptions {
  readonly paths: FileAuditPaths;
  readonly now: () => Date;
  readonly randomUUID: () => string;
  /** Checkpoint signing; without it no checkpoints are written. */
  readonly checkpoints?: Omit<CheckpointScheduleOptions, "write" | "now">;
  /** Something worth an operator's attention that did not stop the store (a torn last line cut off). */
  readonly onWarning?: (message: string) => void;
}

function unavailable(what: string, error: unknown): KubecaError {
  const code = (error as NodeJS.ErrnoException)?.code;
  // The detail may reach an HTTP caller: the errno, not the path.
  return new KubecaError("KUBECA_AUDIT_UNAVAILABLE", `the audit log file ${what}${code ? ` (${code})` : ""}; no record was stored`, {
    cause: error,
    retryAfter: RETRY_AFTER_SECONDS,
  });
}

/** An append-only JSONL file opened on demand; `onTorn` hears when a torn last line was cut off. */
class AppendFile {
  readonly #path: string;
  readonly #onTorn: (bytes: number) => void;
  #handle: FileHandle | undefined;
  /** Where the last acknowledged line ends. */
  #size = 0;

  constructor(path: string, onTorn: (bytes: number) => void) {
    this.#path = path;
    this.#onTorn = onTorn;
  }

  /** Opens (creating it and its folder) if needed; says whether it opened now, and the last complete line. */
  async ensureOpen(): Promise<{ opened: boolean; lastLine?: string | undefined }> {
    if (this.#handle) return { opened: false };
    await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
    const handle = await open(this.#path, "a+", 0o600);
    try {
      const { lastLine, size } = await prepareForAppend(handle, this.#onTorn);
      this.#handle = handle;
      this.#size = size;
      return { opened: true, lastLine };
    } catch (e) {
      await handle.close().catch(() => undefined);
      throw e;
    }
  }

  async append(lines: readonly string[]): Promise<void> {
    await this.ensureOpen();
    const handle = this.#handle!;
    try {
      this.#size += await appendLines(handle, lines);
    } catch (e) {
      // Nothing of a failed write may stay: cut back to the last acknowledged line. If even that
      // fails, reopening cuts a torn line; whole lines left over are records nobody was answered on.
      await handle.truncate(this.#size).then(() => handle.sync()).catch(() => undefined);
      await this.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }
}

interface PendingAppend {
  readonly event: AuditEvent;
  readonly resolve: (record: AuditRecord) => void;
  readonly reject: (error: unknown) => void;
}

export function createFileAuditStore(options: FileAuditStoreOptions): AuditStore {
  const { paths, now, randomUUID } = options;
  const warn = options.onWarning ?? (() => undefined);
  const tornWarning = (path: string) => (bytes: number) =>
    warn(`${path} ended with an incomplete line (${bytes} bytes, a write cut off before it was acknowledged); it was removed`);
  const records = new AppendFile(paths.records, tornWarning(paths.records));
  const checkpointFile = new AppendFile(paths.checkpoints, tornWarning(paths.checkpoints));
  const queue = new SerialQueue();
  const checkpointQueue = new SerialQueue();
  const reader = createFileAuditReader(paths);
  const pending: PendingAppend[] = [];
  let head: ChainHead = EMPTY_HEAD;

  const schedule =
    options.checkpoints &&
    new CheckpointSchedule({
      ...options.checkpoints,
      now,
      write: (checkpoint: AuditCheckpoint) => checkpointQueue.run(() => checkpointFile.append([canonicalJson(checkpoint)])),
    });

  /** Opens the records file if it is not open, and learns the head from its last line. */
  async function openRecords(): Promise<void> {
    let opened: Awaited<ReturnType<AppendFile["ensureOpen"]>>;
    try {
      opened = await records.ensureOpen();
    } catch (e) {
      throw unavailable("cannot be opened", e);
    }
    if (!opened.opened) return;
    if (opened.lastLine === undefined) {
      head = EMPTY_HEAD;
      return;
    }
    let last: AuditRecord | string;
    try {
      last = asStoredRecord(JSON.parse(opened.lastLine));
    } catch {
      last = "not valid JSON";
    }
    if (typeof last === "string") {
      await records.close();
      throw new KubecaError(
        "KUBECA_AUDIT_UNAVAILABLE",
        `the last line of the audit log is not a record (${last}), so the chain cannot be continued; run kubeca audit verify`,
        { retryAfter: RETRY_AFTER_SECONDS },
      );
    }
    head = { seq: last.seq, hash: last.hash };
  }

  /** Seals and writes every append waiting now (up to MAX_BATCH) with one fsync. */
  async function writeBatch(): Promise<void> {
    const batch = pending.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    if (pending.length > 0) void queue.run(writeBatch);
    try {
      await openRecords();
      const sealed: AuditRecord[] = [];
      let h = head;
      for (const p of batch) {
        const record = sealRecord(p.event, h, { time: now().toISOString(), id: randomUUID() });
        sealed.push(record);
        h = { seq: record.seq, hash: record.hash };
      }
      try {
        await records.append(sealed.map(recordLine));
      } catch (e) {
        throw unavailable("cannot be written", e);
      }
      head = h;
      batch.forEach((p, i) => p.resolve(sealed[i]!));
      for (const r of sealed) schedule?.recorded({ seq: r.seq, hash: r.hash });
    } catch (e) {
      for (const p of batch) p.reject(e);
    }
  }

  return {
    append(event: AuditEvent): Promise<AuditRecord> {
      return new Promise((resolve, reject) => {
        // The first waiting append schedules a write; later ones join it until it starts.
        if (pending.push({ event, resolve, reject }) === 1) void queue.run(writeBatch);
      });
    },

    async read(query) {
      // Through the queue: the file exists (created on open) before it is read.
      await queue.run(openRecords);
      return reader.read(query);
    },
    async *chain() {
      // As read(): the file exists (created on open) before it is read, so a new log reads as empty.
      await queue.run(openRecords);
      yield* reader.chain();
    },
    checkpoints: () => reader.checkpoints(),
    tornTail: () => reader.tornTail!(),

    ready: () => queue.run(openRecords),

    async close() {
      await queue.idle();
      await schedule?.flush();
      await checkpointQueue.idle();
      await records.close();
      await checkpointFile.close();
    },
  };
}
