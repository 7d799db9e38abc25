// Runs test/audit/verify_audit.py, the independent verifier written from docs/audit.md in Python's
// standard library, over a log the tests wrote, and holds its verdict against kubeca's own.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createFileAuditReader, verifyAuditLog, type FileAuditPaths, type VerifyResult } from "../../src/audit/index.js";

const SCRIPT = fileURLToPath(new URL("../audit/verify_audit.py", import.meta.url));

export interface PythonVerdict {
  readonly ok: boolean;
  readonly records: number;
  readonly checkpoints: number;
  readonly provedThrough: number;
  readonly broken: { readonly kind: string; readonly seq: number | null; readonly location: string } | null;
  readonly tornTailBytes: number;
}

/** The Python verifier's verdict; `publicKeys` are PEM texts (public keys or certificates). */
export async function pythonVerify(paths: FileAuditPaths, publicKeys: readonly string[] = []): Promise<PythonVerdict> {
  const dir = await mkdtemp(join(tmpdir(), "kubeca-pyverify-"));
  try {
    const keyArgs: string[] = [];
    for (const [i, pem] of publicKeys.entries()) {
      const path = join(dir, `key-${i}.pem`);
      await writeFile(path, pem);
      keyArgs.push("--public-key", path);
    }
    const run = await promisify(execFile)("python3", [SCRIPT, paths.records, "--checkpoints", paths.checkpoints, ...keyArgs]).catch(
      (e: { code?: number; stdout?: string; stderr?: string }) => {
        // Exit 1 is a verdict (broken); anything else is the script failing.
        if (e.code === 1 && e.stdout) return { stdout: e.stdout, stderr: e.stderr ?? "" };
        throw new Error(`verify_audit.py failed (exit ${e.code}): ${e.stderr}`);
      },
    );
    return JSON.parse(run.stdout) as PythonVerdict;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * kubeca's verdict on a file log, after checking that the Python verifier reaches the same one:
 * intact or not, the same break (kind, record, location), the same counts and proof.
 */
export async function verifyWithBoth(paths: FileAuditPaths, publicKeys: { der: Uint8Array; pem: string }[] = []): Promise<VerifyResult> {
  const result = await verifyAuditLog(createFileAuditReader(paths), { publicKeys: publicKeys.map((k) => k.der) });
  const python = await pythonVerify(paths, publicKeys.map((k) => k.pem));
  assert.deepEqual(
    {
      ok: python.ok,
      records: python.records,
      checkpoints: python.checkpoints,
      provedThrough: python.provedThrough,
      broken: python.broken && { kind: python.broken.kind, seq: python.broken.seq ?? undefined, location: python.broken.location },
      tornTailBytes: python.tornTailBytes,
    },
    {
      ok: result.ok,
      records: result.records,
      checkpoints: result.checkpoints,
      provedThrough: result.provedThrough,
      broken: result.broken ? { kind: result.broken.kind, seq: result.broken.seq, location: result.broken.location } : null,
      tornTailBytes: result.tornTail?.bytes ?? 0,
    },
    "the Python verifier (written from docs/audit.md) and kubeca audit verify disagree",
  );
  return result;
}
