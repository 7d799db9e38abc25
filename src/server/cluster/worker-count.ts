// How many workers `kubeca serve` starts without --workers. Measured on a 2-core machine (issue 11,
// NOTE of the perf-cluster pass): a primary with 2 workers spends more CPU per certificate than one
// process (every request crosses the IPC channel two or three times, and three processes share two
// cores), and answered no more requests per second, with a higher p50 at one connection. So up to 2
// cores, one process serves. Above that, one core is left to the primary: it stores every audit record
// and answers every worker's calls (about a quarter of the CPU of a request at full load), and each
// worker beyond that adds a core's worth of parsing and signing.
export function defaultWorkerCount(cpus: number): number {
  return cpus <= 2 ? 1 : cpus - 1;
}
