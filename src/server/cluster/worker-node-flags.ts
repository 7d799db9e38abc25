// The Node.js flags a worker of `kubeca serve --workers N` starts with: the primary's own, plus a
// smaller young generation. At signing's allocation rate (~90 KiB a request) V8 grows a worker's
// two semi-spaces to 16 MiB each and keeps them; at 8 MiB a process held 4-17 MiB less RSS under
// load, CPU per request within the noise of paired runs (Node 22, wrk c16; docs/architecture.md).
// A semi-space size the operator chose, as a node flag or in NODE_OPTIONS, is left alone.
const SEMI_SPACE_FLAG = "--max-semi-space-size";
export const WORKER_SEMI_SPACE_MIB = 8;

export function workerNodeFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const chosen = [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((a) => a === SEMI_SPACE_FLAG || a.startsWith(`${SEMI_SPACE_FLAG}=`) || a.startsWith("--max_semi_space_size"));
  return chosen ? [...execArgv] : [...execArgv, `${SEMI_SPACE_FLAG}=${WORKER_SEMI_SPACE_MIB}`];
}
