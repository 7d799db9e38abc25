// Where the CA rotation phase lives: next to the audit log, in the same medium, so that every instance
// that writes the log (one server with the file store; Lambda instances and several servers with the
// dynamodb store) and the kubelet signer read one phase. The config names the next CA; only this
// store says how far the rotation has got. Each stored state has a version, and a change is written
// only on top of the version it was decided on (compare-and-set), so two operators, or two instances,
// cannot both move the phase: one of them is refused and nothing skips a step.
//   file      <audit path without .jsonl>.rotation.json, replaced atomically (one writer process, as
//             the file audit log itself)
//   dynamodb  the audit table, partition `<chain>#rotation`, one item per version (seq = version),
//             each put conditional on its seq being free: append-only, like the chain
//             (dynamodb-rotation-store.ts, loaded only for a dynamodb audit store)
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { fileAuditPaths } from "../audit/index.js";
import { CaName, isRotationPhase, type AuditConfig, type RotationPhase } from "../config/index.js";
import { KubecaError } from "../errors/index.js";

export interface RotationEntry {
  readonly phase: RotationPhase;
  /** SHA-256 (hex) of the CA certificate being replaced, and of the one replacing it. */
  readonly current: string;
  readonly next: string;
  /** When this phase began (ISO-8601). */
  readonly since: string;
  /** The seq of the ca-rotation audit record that began it: node reports after it count for this phase. */
  readonly seq?: number;
}

export interface RotationState {
  /** 0 before the first change. */
  readonly version: number;
  readonly cas: Readonly<Partial<Record<CaName, RotationEntry>>>;
}

export const EMPTY_ROTATION_STATE: RotationState = Object.freeze({ version: 0, cas: Object.freeze({}) });

export interface RotationStore {
  /** The newest state, read consistently. Rejects with KUBECA_AUDIT_UNAVAILABLE when the store cannot be read. */
  read(): Promise<RotationState>;
  /** Stores `state` as version `expected + 1`; false (nothing written) when the stored version is no longer `expected`. */
  replace(expected: number, state: Omit<RotationState, "version">): Promise<boolean>;
  close(): void;
}

const SUFFIX = "#rotation";

export function rotationUnavailable(what: string, cause: unknown): KubecaError {
  return new KubecaError("KUBECA_AUDIT_UNAVAILABLE", `the CA rotation state ${what}`, { cause, retryAfter: 2 });
}

/** Validates a stored state: a state that is not one is an error, never "no rotation". */
export function parseRotationState(value: unknown, where: string): RotationState {
  const bad = (why: string) => new KubecaError("KUBECA_AUDIT_UNAVAILABLE", `the CA rotation state in ${where} is unreadable (${why}); restore it from its backup or the audit log's ca-rotation records`);
  if (typeof value !== "object" || value === null) throw bad("not an object");
  const v = value as { version?: unknown; cas?: unknown };
  if (!Number.isSafeInteger(v.version) || (v.version as number) < 0) throw bad("version is not a count");
  if (typeof v.cas !== "object" || v.cas === null) throw bad("cas is missing");
  const cas: Partial<Record<CaName, RotationEntry>> = {};
  for (const [name, entry] of Object.entries(v.cas)) {
    if (!CaName.safeParse(name).success) throw bad(`${name} is not a CA name`);
    const e = entry as Partial<RotationEntry>;
    if (!isRotationPhase(e.phase) || typeof e.current !== "string" || typeof e.next !== "string" || typeof e.since !== "string") throw bad(`${name} is incomplete`);
    if (e.seq !== undefined && !Number.isSafeInteger(e.seq)) throw bad(`${name}.seq is not a number`);
    cas[name as CaName] = { phase: e.phase, current: e.current, next: e.next, since: e.since, ...(e.seq !== undefined ? { seq: e.seq } : {}) };
  }
  return { version: v.version as number, cas };
}

/** The store for this audit configuration; `client` replaces the one built from its region/endpoint. */
export async function openRotationStore(audit: AuditConfig, baseDir: string, client?: DynamoDBClient): Promise<RotationStore> {
  if (audit.store === "file") return fileRotationStore(rotationStatePath(fileAuditPaths(audit, baseDir).records));
  if (!audit.table) throw new KubecaError("KUBECA_CONFIG_INVALID", "audit.table is required for the dynamodb audit store");
  const { dynamoDbRotationStore, DynamoDBClient } = await import("./dynamodb-rotation-store.js");
  const owned = client === undefined;
  const c = client ?? new DynamoDBClient({ ...(audit.region ? { region: audit.region } : {}), ...(audit.endpoint ? { endpoint: audit.endpoint } : {}) });
  return dynamoDbRotationStore(c, audit.table, audit.chain + SUFFIX, owned);
}

export function rotationStatePath(auditRecordsPath: string): string {
  return auditRecordsPath.replace(/\.jsonl$/, "") + ".rotation.json";
}

function fileRotationStore(path: string): RotationStore {
  // One writer process (the file audit log's rule too); this chain keeps its own changes in order.
  let last: Promise<unknown> = Promise.resolve();
  async function read(): Promise<RotationState> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return EMPTY_ROTATION_STATE;
      throw rotationUnavailable(`file cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`, e);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return parseRotationState(json, path);
  }
  return {
    read,
    replace(expected, state) {
      const run = last.then(async () => {
        const stored = await read();
        if (stored.version !== expected) return false;
        const text = JSON.stringify({ version: expected + 1, cas: state.cas }, null, 2) + "\n";
        const temp = `${path}.${randomBytes(4).toString("hex")}`;
        try {
          await mkdir(dirname(path), { recursive: true, mode: 0o700 });
          const handle = await open(temp, "wx", 0o600);
          try {
            await handle.writeFile(text);
            await handle.sync();
          } finally {
            await handle.close();
          }
          await rename(temp, path);
          const dir = await open(dirname(path), "r");
          try {
            await dir.sync();
          } finally {
            await dir.close();
          }
        } catch (e) {
          throw rotationUnavailable(`file cannot be written (${(e as NodeJS.ErrnoException).code ?? "error"})`, e);
        }
        return true;
      });
      last = run.catch(() => undefined);
      return run;
    },
    close() {},
  };
}
