// `kubeca audit list|verify|export`: read the issuance log from a config's store or a JSONL file.
// Reading never writes: no file is created, no item is put.
import { X509Certificate, createPublicKey, type KeyObject } from "node:crypto";
import { once } from "node:events";
import { open, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  AUDIT_EVENT_TYPES,
  asStoredCheckpoint,
  checkpointPathFor,
  compileQuery,
  createFileAuditReader,
  csvHeader,
  EXPORT_FORMATS,
  formatRecord,
  openAuditReader,
  verifyAuditLog,
  type AuditCheckpoint,
  type AuditEventType,
  type AuditQuery,
  type AuditReader,
  type AuditRecord,
  type ExportFormat,
  type Stored,
  type VerifyResult,
} from "../../audit/index.js";
import { loadConfigFile } from "../../config/index.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_FAILURE, EXIT_OK } from "../exit-codes.js";
import { parseFlags, UsageError, type FlagSpec } from "../flags.js";

const SOURCE_FLAGS = {
  config: { type: "string" },
  file: { type: "string" },
} as const satisfies FlagSpec;

const FILTER_FLAGS = {
  since: { type: "string" },
  until: { type: "string" },
  node: { type: "string" },
  serial: { type: "string" },
  event: { type: "string", multiple: true },
} as const satisfies FlagSpec;

export async function openReader(values: { config?: string | undefined; file?: string | undefined }, io: CliIo): Promise<AuditReader> {
  if (values.config && values.file) throw new UsageError("pass --config FILE or --file PATH, not both");
  if (values.file) {
    const records = resolve(io.cwd, values.file);
    return createFileAuditReader({ records, checkpoints: checkpointPathFor(records) });
  }
  if (values.config) {
    const { config, baseDir } = await loadConfigFile(resolve(io.cwd, values.config));
    return await openAuditReader(config.audit, baseDir);
  }
  throw new UsageError("say which log to read: --config FILE or --file PATH");
}

function filters(values: { since?: string | undefined; until?: string | undefined; node?: string | undefined; serial?: string | undefined; event?: string[] | undefined }): AuditQuery {
  for (const e of values.event ?? []) {
    if (!(AUDIT_EVENT_TYPES as readonly string[]).includes(e)) {
      throw new UsageError(`--event ${e}: not an event type (${AUDIT_EVENT_TYPES.join(", ")})`);
    }
  }
  return {
    ...(values.since === undefined ? {} : { since: values.since }),
    ...(values.until === undefined ? {} : { until: values.until }),
    ...(values.node === undefined ? {} : { node: values.node }),
    ...(values.serial === undefined ? {} : { serial: values.serial }),
    ...(values.event === undefined ? {} : { event: values.event as AuditEventType[] }),
  };
}

export function outputFormat(value: string): "text" | "json" {
  if (value !== "text" && value !== "json") throw new UsageError(`--output must be text or json, not ${value}`);
  return value;
}

// ---- list -------------------------------------------------------------------------------------

/** What one line of the text listing says about the outcome. */
function outcome(r: AuditRecord): string {
  if (r.result) return `serial ${r.result.serial} by ${r.result.issuer}, until ${r.result.notAfter}`;
  if (r.violations?.length) return r.violations.map((v) => `${v.field}: ${v.rule}`).join("; ");
  return r.message ?? "";
}

function formatTable(records: readonly AuditRecord[]): string {
  const rows = records.map((r) => [
    String(r.seq),
    r.time,
    r.event,
    r.actor.node ?? "-",
    r.actor.identity ?? "-",
    r.request?.file ?? "-",
    outcome(r),
  ]);
  const header = ["SEQ", "TIME", "EVENT", "NODE", "IDENTITY", "FILE", "OUTCOME"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

export const auditListCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      ...SOURCE_FLAGS,
      ...FILTER_FLAGS,
      limit: { type: "string", default: "100" },
      cursor: { type: "string" },
      output: { type: "string", default: "text" },
    });
    const output = outputFormat(values.output);
    const limit = Number(values.limit);
    if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer, not ${values.limit}`);
    const query: AuditQuery = { ...filters(values), limit, ...(values.cursor === undefined ? {} : { cursor: values.cursor }) };
    compileQuery(query); // refuse a bad --since or --cursor before opening anything
    const reader = await openReader(values, io);
    const page = await reader.read(query);
    if (output === "json") {
      io.stdout.write(JSON.stringify({ records: page.records, nextCursor: page.nextCursor ?? null }, null, 2) + "\n");
    } else {
      io.stdout.write(page.records.length ? formatTable(page.records) : "no matching records\n");
      if (page.nextCursor) io.stderr.write(`more records: add --cursor ${page.nextCursor}\n`);
    }
    return EXIT_OK;
  },
};

// ---- verify -----------------------------------------------------------------------------------

async function readPublicKey(path: string, io: CliIo): Promise<KeyObject> {
  const text = await readFile(resolve(io.cwd, path), "utf8").catch((e: unknown) => {
    throw new UsageError(`--public-key ${path}: ${(e as Error).message}`);
  });
  try {
    return text.includes("BEGIN CERTIFICATE") ? new X509Certificate(text).publicKey : createPublicKey(text);
  } catch {
    throw new UsageError(`--public-key ${path}: not a PEM public key or certificate`);
  }
}

async function readCheckpointFile(path: string, io: CliIo): Promise<Stored<AuditCheckpoint>[]> {
  const text = await readFile(resolve(io.cwd, path), "utf8").catch((e: unknown) => {
    throw new UsageError(`--checkpoint ${path}: ${(e as Error).message}`);
  });
  const trimmed = text.trim();
  let lines: string[];
  try {
    // A JSON array (or one object) as saved by hand, or JSONL as the mirror writes it.
    lines = trimmed.startsWith("[") ? (JSON.parse(trimmed) as unknown[]).map((v) => JSON.stringify(v)) : trimmed.split("\n");
  } catch {
    throw new UsageError(`--checkpoint ${path}: not JSON or JSONL`);
  }
  const found: Stored<AuditCheckpoint>[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const location = `${path} line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      found.push({ location, unreadable: "not valid JSON" });
      return;
    }
    // A saved mirror stream holds records too; only its checkpoints count here.
    if ((value as { kind?: unknown } | null)?.kind !== "checkpoint") return;
    const cp = asStoredCheckpoint(value);
    found.push(typeof cp === "string" ? { location, unreadable: cp } : { location, value: cp });
  });
  return found;
}

function describeVerify(result: VerifyResult, keys: number): string {
  const lines: string[] = [];
  if (result.broken) {
    const b = result.broken;
    lines.push(`BROKEN: ${b.kind}${b.seq === undefined ? "" : ` at record ${b.seq}`} (${b.location})`, `  ${b.detail}`);
  } else {
    lines.push(
      result.head
        ? `OK: ${result.records} records, chain intact from record 1 to ${result.head.seq} (head ${result.head.hash})`
        : "OK: the log is empty",
    );
  }
  if (result.tornTail) {
    lines.push(`torn tail: ${result.tornTail.bytes} bytes ${result.tornTail.location} (a write cut off by a crash, never acknowledged; not a record, and the writer removes it when it next opens the log)`);
  }
  if (!result.signaturesChecked) {
    lines.push(`checkpoints: ${result.checkpoints}; signatures NOT checked (pass --public-key)`);
  } else {
    lines.push(`checkpoints: ${result.checkpoints}; signatures checked against ${keys} key(s)`);
    if (!result.broken && result.head) {
      lines.push(
        result.provedThrough === 0
          ? "no signed checkpoint covers any record: the head is not proved"
          : result.provedThrough === result.head.seq
            ? `head proved by a signed checkpoint (record ${result.provedThrough})`
            : `proved through record ${result.provedThrough}; records ${result.provedThrough + 1}..${result.head.seq} are newer than the last checkpoint`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

export const auditVerifyCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      ...SOURCE_FLAGS,
      "public-key": { type: "string", multiple: true },
      checkpoint: { type: "string", multiple: true },
      output: { type: "string", default: "text" },
    });
    const output = outputFormat(values.output);
    const publicKeys = await Promise.all((values["public-key"] ?? []).map((p) => readPublicKey(p, io)));
    const extraCheckpoints = (await Promise.all((values.checkpoint ?? []).map((p) => readCheckpointFile(p, io)))).flat();
    const reader = await openReader(values, io);
    const result = await verifyAuditLog(reader, { publicKeys, extraCheckpoints });
    io.stdout.write(output === "json" ? JSON.stringify(result, null, 2) + "\n" : describeVerify(result, publicKeys.length));
    return result.ok ? EXIT_OK : EXIT_FAILURE;
  },
};

// ---- export -----------------------------------------------------------------------------------

interface Sink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

function streamSink(out: NodeJS.WritableStream): Sink {
  return {
    async write(text) {
      if (!out.write(text)) await once(out, "drain");
    },
    async close() {},
  };
}

/** A file written in 64 KiB batches; opening fails at once, with the reason, when the path is wrong. */
async function fileSink(path: string): Promise<Sink> {
  const handle = await open(path, "w", 0o600).catch((e: unknown) => {
    throw new UsageError(`--out ${path}: ${(e as Error).message}`);
  });
  let pending: string[] = [];
  let size = 0;
  const flush = async () => {
    if (pending.length) await handle.write(pending.join(""));
    pending = [];
    size = 0;
  };
  return {
    async write(text) {
      pending.push(text);
      size += text.length;
      if (size >= 64 * 1024) await flush();
    },
    async close() {
      try {
        await flush();
      } finally {
        await handle.close();
      }
    },
  };
}

export const auditExportCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      ...SOURCE_FLAGS,
      ...FILTER_FLAGS,
      format: { type: "string" },
      out: { type: "string" },
    });
    if (!values.format) throw new UsageError("--format jsonl|csv is required");
    if (!(EXPORT_FORMATS as readonly string[]).includes(values.format)) {
      throw new UsageError(`--format must be ${EXPORT_FORMATS.join(" or ")}, not ${values.format}`);
    }
    const format = values.format as ExportFormat;
    const { matches } = compileQuery(filters(values));
    const reader = await openReader(values, io);

    const out = values.out ? await fileSink(resolve(io.cwd, values.out)) : streamSink(io.stdout);
    let written = 0;
    const unreadable: string[] = [];
    try {
      if (format === "csv") await out.write(csvHeader());
      for await (const entry of reader.chain()) {
        if (!("value" in entry)) {
          unreadable.push(entry.location);
          continue;
        }
        if (!matches(entry.value)) continue;
        await out.write(formatRecord(entry.value, format));
        written++;
      }
    } finally {
      await out.close();
    }
    if (values.out) io.stderr.write(`wrote ${written} records to ${values.out}\n`);
    if (unreadable.length) {
      io.stderr.write(`skipped ${unreadable.length} unreadable record(s) (${unreadable.slice(0, 5).join(", ")}); run kubeca audit verify\n`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  },
};

