// A control-plane node's folders in a temp dir, a CliIo that records output, and snapshots of every
// file (bytes and mode) to prove what changed and what did not.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Writable } from "node:stream";
import type { CliIo } from "../../src/cli/command.js";

export interface TempNode {
  readonly root: string;
  /** <root>/etc/kubernetes/pki */
  readonly certDir: string;
  /** <root>/etc/kubernetes */
  readonly kubeconfigDir: string;
  /** Where the timer stages generate-csr output: <root>/var/lib/kubeca/csr */
  readonly stageDir: string;
  /** The legacy --csr-dir: <root>/legacy-csr */
  readonly legacyDir: string;
  remove(): Promise<void>;
}

export async function tempNode(): Promise<TempNode> {
  const root = await mkdtemp(join(tmpdir(), "kubeca-node-"));
  const kubeconfigDir = join(root, "etc", "kubernetes");
  return {
    root,
    certDir: join(kubeconfigDir, "pki"),
    kubeconfigDir,
    stageDir: join(root, "var", "lib", "kubeca", "csr"),
    legacyDir: join(root, "legacy-csr"),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

export interface RecordingIo {
  readonly io: CliIo;
  stdout(): string;
  stderr(): string;
}

export function recordingIo(cwd = tmpdir()): RecordingIo {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _enc, done) {
        into.push(String(chunk));
        done();
      },
    });
  return {
    io: { stdout: sink(out), stderr: sink(err), env: {}, cwd },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}

export interface FileState {
  readonly sha256: string;
  readonly mode: number;
}

/** Every regular file under `dir` (relative path → hash and mode), skipping folders named in `skip`. */
export async function snapshot(dir: string, skip: readonly string[] = []): Promise<Map<string, FileState>> {
  const files = new Map<string, FileState>();
  async function walk(current: string): Promise<void> {
    for (const e of await readdir(current, { withFileTypes: true }).catch(() => [])) {
      const abs = join(current, e.name);
      if (e.isDirectory()) {
        if (!skip.includes(relative(dir, abs))) await walk(abs);
      } else if (e.isFile()) {
        files.set(relative(dir, abs), {
          sha256: createHash("sha256").update(await readFile(abs)).digest("hex"),
          mode: (await stat(abs)).mode & 0o777,
        });
      }
    }
  }
  await walk(dir);
  return files;
}

export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}
