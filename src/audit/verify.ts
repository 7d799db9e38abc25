// Verification: check that every stored line is the canonical encoding of what it holds, recompute
// every hash, follow every link, and hold the chain against its signed checkpoints. Needs only the
// stored bytes and the checkpoint public keys. docs/audit.md gives the same algorithm step by step
// (test/audit/verify_audit.py implements it from there). Reports the first broken record and how:
//   modified           a line is not the canonical encoding of a record, a record's content does not
//                      match its hash, or a hash was recomputed (the next record, or a checkpoint,
//                      still names the old one)
//   removed            a seq is missing and does not appear later
//   reordered          records are out of seq order (swapped, moved, or repeated)
//   truncated          the log ends before a record a checkpoint proves: the tail was cut off
//   forged-checkpoint  a checkpoint whose signature does not verify with a trusted key
import type { KeyObject } from "node:crypto";
import { canonicalJson } from "./canonical-json.js";
import { checkpointSignatureValid, trustedKeys, type AuditCheckpoint } from "./checkpoint.js";
import { GENESIS_HASH, recordHash } from "./record.js";
import type { AuditReader, Stored, TornTail } from "./store.js";

export type AuditBreakKind = "modified" | "removed" | "reordered" | "truncated" | "forged-checkpoint";

export interface AuditBreak {
  readonly kind: AuditBreakKind;
  /** The first record that is not as written (for forged-checkpoint: the seq the checkpoint names, if readable). */
  readonly seq: number | undefined;
  /** Where in storage it was noticed: "line 12", "item seq=12", "checkpoint line 3". */
  readonly location: string;
  readonly detail: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  /** Records read. */
  readonly records: number;
  /** Seq and hash of the last record read, when the chain is intact up to it. */
  readonly head: { readonly seq: number; readonly hash: string } | undefined;
  /** Checkpoints read (stored and supplied). */
  readonly checkpoints: number;
  /** Whether checkpoint signatures were checked (trusted public keys were given). */
  readonly signaturesChecked: boolean;
  /** Highest seq proved by a checkpoint whose signature verified and whose hash matched; 0 when none. */
  readonly provedThrough: number;
  readonly broken: AuditBreak | undefined;
  /**
   * Bytes after the last newline: a write a crash cut off before it was acknowledged. Not a record and
   * not a break (the writer removes it when it next opens the file); a checkpoint that proves a record
   * beyond it still makes the log `truncated`.
   */
  readonly tornTail: TornTail | undefined;
}

export interface VerifyOptions {
  /** Checkpoint verification keys (SPKI DER or KeyObjects). Without them signatures are not checked. */
  readonly publicKeys?: readonly (KeyObject | Uint8Array)[];
  /** Checkpoints kept outside the store (saved by an auditor, or from the stdout mirror). */
  readonly extraCheckpoints?: readonly Stored<AuditCheckpoint>[];
}

interface HeldCheckpoint {
  readonly checkpoint: AuditCheckpoint;
  readonly location: string;
  readonly signed: boolean;
}

export async function verifyAuditLog(reader: AuditReader, options: VerifyOptions = {}): Promise<VerifyResult> {
  const keys = trustedKeys(options.publicKeys ?? []);
  const signaturesChecked = keys.size > 0;
  const problems: AuditBreak[] = [];

  // 1. Checkpoints: few, so held in memory by the seq they prove.
  const bySeq = new Map<number, HeldCheckpoint[]>();
  let checkpointCount = 0;
  const consider = (entry: Stored<AuditCheckpoint>) => {
    checkpointCount++;
    const location = `checkpoint ${entry.location}`;
    if (!("value" in entry)) {
      problems.push({ kind: "forged-checkpoint", seq: undefined, location, detail: `the checkpoint is not readable (${entry.unreadable})` });
      return;
    }
    const cp = entry.value;
    const notCanonical = canonicalProblem(entry);
    if (notCanonical) {
      problems.push({ kind: "forged-checkpoint", seq: undefined, location, detail: `the checkpoint is not readable (${notCanonical})` });
      return;
    }
    if (signaturesChecked) {
      const key = keys.get(cp.publicKeySha256);
      const why = !key
        ? `it names key ${cp.publicKeySha256.slice(0, 16)}…, which is not among the trusted public keys`
        : !checkpointSignatureValid(cp, key)
          ? "its signature does not verify"
          : undefined;
      if (why) {
        problems.push({ kind: "forged-checkpoint", seq: cp.seq, location, detail: `the checkpoint for record ${cp.seq} is not genuine: ${why}` });
        return;
      }
    }
    const held = bySeq.get(cp.seq) ?? [];
    held.push({ checkpoint: cp, location, signed: signaturesChecked });
    bySeq.set(cp.seq, held);
  };
  for await (const entry of reader.checkpoints()) consider(entry);
  for (const entry of options.extraCheckpoints ?? []) consider(entry);

  // 2. The chain, in storage order.
  let expected = 1;
  let prevHash = GENESIS_HASH;
  let records = 0;
  let provedThrough = 0;
  let lastProvedSeq = 0;
  let chainBreak: AuditBreak | undefined;
  const iterator = reader.chain()[Symbol.asyncIterator]();
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    records++;
    const entry = next.value;
    if (!("value" in entry)) {
      chainBreak = { kind: "modified", seq: expected, location: entry.location, detail: `record ${expected} is not readable (${entry.unreadable})` };
      break;
    }
    const notCanonical = canonicalProblem(entry);
    if (notCanonical) {
      chainBreak = { kind: "modified", seq: expected, location: entry.location, detail: `record ${expected} is not as written: ${notCanonical}` };
      break;
    }
    const r = entry.value;
    if (r.seq !== expected) {
      chainBreak = await orderBreak(expected, r.seq, entry.location, iterator);
      break;
    }
    if (recordHash(r) !== r.hash) {
      chainBreak = { kind: "modified", seq: r.seq, location: entry.location, detail: `record ${r.seq}'s content does not match its hash` };
      break;
    }
    if (r.prevHash !== prevHash) {
      // This record is intact and links to what its predecessor's hash used to be.
      const seq = r.seq - 1;
      chainBreak = {
        kind: "modified",
        seq: Math.max(seq, 1),
        location: entry.location,
        detail:
          seq === 0
            ? "record 1 does not link to the genesis hash"
            : `record ${seq} was changed and its hash recomputed: record ${r.seq} links to a different hash`,
      };
      break;
    }
    for (const held of bySeq.get(r.seq) ?? []) {
      if (held.checkpoint.headHash !== r.hash) {
        chainBreak = {
          kind: "modified",
          seq: lastProvedSeq + 1,
          location: entry.location,
          detail: `${recordRange(lastProvedSeq + 1, r.seq)} rewritten: record ${r.seq}'s hash differs from the checkpoint signed at ${held.checkpoint.time} (${held.location})`,
        };
        break;
      }
      lastProvedSeq = r.seq;
      if (held.signed) provedThrough = r.seq;
    }
    if (chainBreak) break;
    prevHash = r.hash;
    expected++;
  }
  await iterator.return?.(); // release the file or query behind the chain when verification stopped early
  const lastSeq = expected - 1;

  // 3. A checkpoint past the end proves records that are gone.
  if (!chainBreak) {
    const beyond = [...bySeq.values()].flat().filter((h) => h.checkpoint.seq > lastSeq);
    if (beyond.length > 0) {
      const far = beyond.reduce((a, b) => (b.checkpoint.seq > a.checkpoint.seq ? b : a));
      chainBreak = {
        kind: "truncated",
        seq: lastSeq + 1,
        location: far.location,
        detail: `the log ends at record ${lastSeq}, but the checkpoint signed at ${far.checkpoint.time} proves record ${far.checkpoint.seq}: ${recordRange(lastSeq + 1, far.checkpoint.seq)} cut off`,
      };
    }
  }
  if (chainBreak) problems.push(chainBreak);

  // The earliest break wins; at equal seq the chain's own finding comes first.
  const broken = problems.reduce<AuditBreak | undefined>((first, p) => {
    if (!first) return p;
    const a = first.seq ?? Number.POSITIVE_INFINITY;
    const b = p.seq ?? Number.POSITIVE_INFINITY;
    return b < a || (b === a && p === chainBreak) ? p : first;
  }, undefined);

  return {
    ok: broken === undefined,
    records,
    head: chainBreak ? undefined : lastSeq === 0 ? undefined : { seq: lastSeq, hash: prevHash },
    checkpoints: checkpointCount,
    signaturesChecked,
    provedThrough,
    broken,
    tornTail: await reader.tornTail?.(),
  };
}

/**
 * Why a stored line is not exactly the canonical encoding of the value read from it, or undefined.
 * A reader keeps one of two duplicated keys (which one depends on the parser), skips whitespace and
 * decodes escapes; recomputing the hash over what one parser returned would let two readers see two
 * records under one valid chain. So the stored bytes themselves must be the canonical encoding.
 */
function canonicalProblem(entry: { value: object; raw?: Uint8Array }): string | undefined {
  if (entry.raw === undefined) return undefined;
  let canonical: Buffer;
  try {
    canonical = Buffer.from(canonicalJson(entry.value), "utf8");
  } catch (e) {
    return `the line holds a value with no canonical encoding (${(e as Error).message})`;
  }
  if (canonical.equals(entry.raw)) return undefined;
  return "the line is not the canonical encoding of the record it holds (a duplicated key, whitespace, a different escape or invalid UTF-8), so another reader may see a different record";
}

/**
 * The record at `location` has seq `found` where `expected` belongs. Reads on to tell a record that
 * was moved (it turns up later) from one that was removed (it never does).
 */
async function orderBreak(
  expected: number,
  found: number,
  location: string,
  rest: AsyncIterator<Stored<{ seq: number }>>,
): Promise<AuditBreak> {
  if (found < expected) {
    return { kind: "reordered", seq: found, location, detail: `record ${found} appears again after record ${expected - 1}` };
  }
  for (let next = await rest.next(); !next.done; next = await rest.next()) {
    const entry = next.value;
    if ("value" in entry && entry.value.seq === expected) {
      return {
        kind: "reordered",
        seq: expected,
        location,
        detail: `record ${expected} is stored after record ${found} (${entry.location}); ${location} should hold record ${expected}`,
      };
    }
  }
  return {
    kind: "removed",
    seq: expected,
    location,
    detail: `${recordRange(expected, found - 1)} removed: ${location} holds record ${found}, right after record ${expected - 1}`,
  };
}

/** "record 7 was" / "records 7..9 were", for the sentences above. */
function recordRange(from: number, to: number): string {
  return from === to ? `record ${from} was` : `records ${from}..${to} were`;
}
