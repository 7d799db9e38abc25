// Reading the file store: newest-first pages straight from the end of the JSONL file (a page reads
// only the lines it visits; the cursor keeps the byte offset where the next page starts), and the
// whole chain and its checkpoints in file order for verify and export.
import { open, type FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { KubecaError } from "../errors/index.js";
import { asStoredCheckpoint, type AuditCheckpoint } from "./checkpoint.js";
import { completeLinesEnd, linesBackward, linesForward } from "./jsonl-file.js";
import { compileQuery, encodeCursor, type AuditPage, type AuditQuery } from "./query.js";
import { asStoredRecord } from "./record.js";
import type { AuditReader, Stored, TornTail } from "./store.js";
import type { AuditRecord } from "./types.js";

export interface FileAuditPaths {
  readonly records: string;
  /** Checkpoints live in a sibling file, so cutting the records file's tail cannot take them along. */
  readonly checkpoints: string;
}

/** `audit.jsonl` → `audit.checkpoints.jsonl`; any other name gets `.checkpoints.jsonl` appended. */
export function checkpointPathFor(recordsPath: string): string {
  return recordsPath.endsWith(".jsonl") ? recordsPath.slice(0, -".jsonl".length) + ".checkpoints.jsonl" : recordsPath + ".checkpoints.jsonl";
}

/** A line's value; null when the line belongs to the other kind (see storedLines). */
type LineReading<T> = T | string | null;

function parseLine<T>(text: string, as: (v: unknown) => LineReading<T>, unparsable: "report" | "skip"): LineReading<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    if (unparsable === "skip") return null;
    return text.trim() === "" ? "an empty line" : "not valid JSON";
  }
  return as(value);
}

// The stdout mirror interleaves records and checkpoints in one stream; a file saved from it (a
// CloudWatch export) reads like a store: checkpoint lines are checkpoints, every other line a record.
function isCheckpointLine(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "checkpoint";
}
const recordLine = (v: unknown): LineReading<AuditRecord> => (isCheckpointLine(v) ? null : asStoredRecord(v));
const checkpointLine = (v: unknown): LineReading<AuditCheckpoint> => (isCheckpointLine(v) ? asStoredCheckpoint(v) : null);

function unreadableFile(path: string, error: unknown): KubecaError {
  const code = (error as NodeJS.ErrnoException).code;
  const detail = code === "ENOENT" ? `there is no audit log file at ${path}` : `cannot read ${path} (${code ?? "error"})`;
  return new KubecaError("KUBECA_AUDIT_UNAVAILABLE", detail, { cause: error, retryAfter: 5 });
}

async function openForReading(path: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (e) {
    throw unreadableFile(path, e);
  }
}

async function* storedLines<T>(
  handle: FileHandle,
  as: (v: unknown) => LineReading<T>,
  options: { unparsable: "report" | "skip"; where?: string },
): AsyncGenerator<Stored<T>> {
  try {
    for await (const line of linesForward(handle)) {
      const parsed = parseLine(line.text, as, options.unparsable);
      if (parsed === null) continue;
      const location = `line ${line.lineNo}${options.where ?? ""}`;
      yield typeof parsed === "string" ? { location, unreadable: parsed } : { location, value: parsed, raw: line.bytes };
    }
  } finally {
    await handle.close();
  }
}

export function createFileAuditReader(paths: FileAuditPaths): AuditReader {
  return {
    async read(query: AuditQuery): Promise<AuditPage> {
      const q = compileQuery(query);
      const handle = await openForReading(paths.records);
      try {
        const { size } = await handle.stat();
        let end = await completeLinesEnd(handle, size);
        if (q.cursor?.offset !== undefined && q.cursor.offset <= end) end = q.cursor.offset;
        const records: AuditRecord[] = [];
        for await (const line of linesBackward(handle, end)) {
          const record = parseLine(line.text, recordLine, "skip");
          // Damaged lines are verify's business; a listing shows what can be read.
          if (record === null || typeof record === "string" || !q.matches(record)) continue;
          records.push(record);
          if (records.length === q.limit) {
            return { records, nextCursor: encodeCursor({ beforeSeq: record.seq, offset: line.offset }) };
          }
        }
        return { records, nextCursor: undefined };
      } catch (e) {
        throw e instanceof KubecaError ? e : unreadableFile(paths.records, e);
      } finally {
        await handle.close();
      }
    },

    async *chain(): AsyncGenerator<Stored<AuditRecord>> {
      yield* storedLines(await openForReading(paths.records), recordLine, { unparsable: "report" });
    },

    async tornTail(): Promise<TornTail | undefined> {
      const handle = await openForReading(paths.records);
      try {
        const { size } = await handle.stat();
        const end = await completeLinesEnd(handle, size);
        return end < size ? { location: `after the last newline of ${basename(paths.records)}`, bytes: size - end } : undefined;
      } finally {
        await handle.close();
      }
    },

    async *checkpoints(): AsyncGenerator<Stored<AuditCheckpoint>> {
      let handle: FileHandle | undefined;
      try {
        handle = await open(paths.checkpoints, "r");
      } catch (e) {
        // No checkpoint file: none was written here (or it was removed; verify then reports the head as unproved).
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw unreadableFile(paths.checkpoints, e);
      }
      if (handle) yield* storedLines(handle, asStoredCheckpoint, { unparsable: "report" });
      // Checkpoint lines inside the records file (a saved mirror stream); a store never writes them there.
      yield* storedLines(await openForReading(paths.records), checkpointLine, { unparsable: "skip", where: ` of ${basename(paths.records)}` });
    },
  };
}
