// How many workers `kubeca serve` starts without --workers (docs/architecture.md, "Who owns what at
// run time"). Measured on a 2-core machine: a primary with 2 workers spent more CPU per certificate
// than one process (each certificate crosses the IPC channel twice, and three processes share two
// cores) and had a higher p50 at one connection, for requests per second at 16 connections within
// the noise. So up to 2 cores, one process serves. Above that, one core is left to the primary: it
// stores every audit record and answers every worker's calls (about a quarter of the CPU of a
// certificate), and each worker beyond that adds a core's worth of parsing and signing.
export function defaultWorkerCount(cpus: number): number {
  return cpus <= 2 ? 1 : cpus - 1;
}
