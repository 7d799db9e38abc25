// Programs run as a user runs them: a command to completion, or `kubeca serve --dev` in the background.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs to completion (asynchronously: servers in this process keep answering). */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  /** Run as this user and group (needs root): how tests meet "permission denied" on a root machine. */
  readonly uid?: number;
  readonly gid?: number;
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const ids = options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid };
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], ...ids });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += String(d)));
    child.stderr.on("data", (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface DevServer {
  readonly url: string;
  readonly token: string;
  readonly tokenFile: string;
  readonly pkiDir: string;
  readonly child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

/** `<node> <cli> serve --dev --port 0 --dev-dir <devDir>`, ready once it prints "serving on". */
export async function startDevServer(node: string, cli: string, devDir: string, env: NodeJS.ProcessEnv = process.env): Promise<DevServer> {
  const child = spawn(node, [cli, "serve", "--dev", "--port", "0", "--dev-dir", devDir, "--log-level", "warn"], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (d) => {
      stderr += String(d);
      const m = /serving on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`kubeca serve --dev exited ${code} before serving:\n${stderr}`)));
  });
  const tokenFile = join(devDir, "token");
  return {
    url,
    token: (await readFile(tokenFile, "utf8")).trim(),
    tokenFile,
    pkiDir: join(devDir, "pki"),
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/** The pids whose parent is `pid` (serve's workers), read from /proc. */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Field 4, after the parenthesised command name (which may hold spaces).
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) children.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return children;
}
