// The primary process of `kubeca serve --workers N` (node:cluster). It opens the issuance service as a
// single process would (CAs and signers checked, start-up records, checkpoint signer), so it owns the
// one audit chain, the one idempotency window, the rate-limit buckets and the replay cache; it serves no
// HTTP itself. Its N workers share the listening socket and do the per-request work: parse, check,
// sign (each with its own signer: a KMS client, a PKCS#11 session pool, or the primary's development
// key), and call the primary for everything that must be one.
//
// Metrics: each worker counts what it does into its own registry, the primary what it owns (audit
// appends, rate limits, the fleet's node certificate expiry: every record passes through here); a
// scrape at any worker asks the primary, which combines every registry (prom-client's
// AggregatorRegistry: counters and histograms summed, gauges as each says).
//
// Lifecycle: a worker that exits while serving is started again; close() (SIGTERM, SIGINT) asks every
// worker to drain and exit, then closes the audit log once, which writes the last checkpoint.
// Workers exit by themselves when the primary dies (their channel closes).
import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from "prom-client";
import { createMemoryReplayCache } from "../../auth/replay-cache.js";
import type { LoadedConfig } from "../../config/index.js";
import { createIssuanceService, type RunningIssuanceService } from "../../issuance/create-service.js";
import type { ReadinessCheck } from "../../issuance/types.js";
import { ServeMetrics } from "../../metrics/prometheus.js";
import { watchService } from "../create-app.js";
import { createRateLimiter } from "../rate-limiter.js";
import { createCallAnswerer, type CallAnswerer, type WorkerLink } from "./call-answerer.js";
import { developmentCasForWorkers, generateDevelopmentKeys } from "./development-cas.js";
import { Outbox, unbatch } from "./outbox.js";
import { workerNodeFlags } from "./worker-node-flags.js";
import { fromStartError, type PrimaryMessage, type WorkerMessage, type WorkerStart } from "./protocol.js";

export interface PrimaryOptions {
  readonly loaded: LoadedConfig;
  readonly dev: boolean;
  readonly workers: number;
  readonly host: string;
  readonly port: number;
  readonly https: { readonly cert: Uint8Array; readonly key: Uint8Array } | undefined;
  readonly trustProxy: boolean;
  readonly logLevel: string;
  /** kubeca's version, for kubeca_build_info. */
  readonly version: string;
  /**
   * What a worker is started with, when not this process's own script and arguments: a single
   * executable runs its embedded CLI whatever file it is handed and puts itself in argv[1], so its
   * workers get the user's arguments alone (first one in place of the script).
   */
  readonly workerArgv?: readonly string[];
  /** One line for the operator (stderr): a worker restarted, an unexpected failure. */
  readonly log: (line: string) => void;
}

export interface RunningPrimary {
  readonly address: string;
  /** Drains and stops every worker, then closes the audit log (last checkpoint) and the signers. Once. */
  close(): Promise<void>;
}

/** A worker that dies sooner than this after its start waits before it is started again (no busy crash loop). */
const QUICK_EXIT_MS = 5_000;
/** For channel writes to a worker that is exiting: nothing to do, its exit handler cleans up. */
const ignore = (): void => undefined;
const RESTART_DELAY_MS = 1_000;
/** A worker that has not sent its registry by then is left out of that scrape (it is stuck or exiting). */
const SCRAPE_TIMEOUT_MS = 3_000;

type Registered = MetricObjectWithValues<MetricValue<string>>[];

export async function startPrimary(options: PrimaryOptions): Promise<RunningPrimary> {
  const { loaded, dev } = options;
  const serving = new Set<number>();
  const running = new Map<number, { worker: Worker; exited: Promise<void> }>();
  let closing = false;
  let service: RunningIssuanceService | undefined;
  let answerer: CallAnswerer | undefined;
  const links = new Map<number, WorkerLink>();
  const prometheus = new ServeMetrics({ version: options.version });
  let fleet: ReturnType<typeof watchService>;
  const scrapes = new Map<number, (metrics: Registered) => void>();
  let nextScrape = 1;

  /** The primary's registry and every serving worker's, combined. */
  async function gatherMetrics(): Promise<string> {
    const id = nextScrape++;
    const targets = [...links.values()].filter((link) => serving.has(link.id));
    const answers: Registered[] = [];
    await new Promise<void>((resolve) => {
      let waiting = targets.length;
      const finish = () => {
        clearTimeout(timer);
        scrapes.delete(id);
        resolve();
      };
      const timer = setTimeout(finish, SCRAPE_TIMEOUT_MS);
      if (waiting === 0) return finish();
      scrapes.set(id, (metrics) => {
        answers.push(metrics);
        if (--waiting === 0) finish();
      });
      for (const link of targets) link.send({ kind: "metrics-request", id });
    });
    return AggregatorRegistry.aggregate([await prometheus.registry.getMetricsAsJSON(), ...answers]).metrics();
  }

  // Workers boot (load the CLI and its modules, most of their start time) while this process opens
  // the service; each gets its start message once the service is open and the CA certificates exist.
  let provideStart: (start: WorkerStart) => void = () => undefined;
  const startMessage = new Promise<WorkerStart>((resolve) => (provideStart = resolve));
  const argv = options.workerArgv;
  // A single executable (workerArgv) reads no Node.js flags from its command line: it would hand them
  // to its embedded CLI as arguments, so its workers start with none.
  const execArgv = argv ? process.execArgv : workerNodeFlags(process.execArgv, process.env.NODE_OPTIONS);
  cluster.setupPrimary({ serialization: "json", execArgv, ...(argv && argv.length > 0 ? { exec: argv[0]!, args: argv.slice(1) } : {}) });

  /** Starts one worker; resolves with its address once it listens, rejects if it cannot start. */
  function fork(): Promise<string> {
    const worker = cluster.fork();
    const startedAt = Date.now();
    // A worker on its way out has a broken pipe (EPIPE): such a write is dropped, and its exit
    // handler cleans up. Without the callback node reports it as an unhandled 'error' event.
    const send = (message: unknown) => {
      try {
        if (worker.isConnected()) worker.send(message as PrimaryMessage, ignore);
      } catch {
        // Gone between the check and the send.
      }
    };
    const outbox = new Outbox<PrimaryMessage>(send);
    worker.on("error", ignore);
    const link: WorkerLink = { id: worker.id, send: (message) => outbox.push(message) };
    links.set(worker.id, link);
    let listening = false;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    running.set(worker.id, { worker, exited });
    return new Promise<string>((resolve, reject) => {
      worker.on("message", (raw: WorkerMessage) => {
        for (const message of unbatch(raw)) {
          switch (message.kind) {
            case "call":
            case "idempotency-outcome":
              // Calls come only after the start message, which is sent once the answerer exists.
              answerer?.handle(link, message);
              break;
            case "hello":
              // A close sent before the worker listened for messages was lost: say it again.
              if (closing) link.send({ kind: "close" });
              else void startMessage.then((start) => link.send(closing ? { kind: "close" } : { kind: "start", start }));
              break;
            case "metrics":
              scrapes.get(message.id)?.(message.metrics as Registered);
              break;
            case "listening":
              listening = true;
              serving.add(worker.id);
              resolve(message.address);
              break;
            case "start-failed":
              reject(fromStartError(message.error));
              break;
          }
        }
      });
      worker.once("exit", (code, signal) => {
        running.delete(worker.id);
        links.delete(worker.id);
        serving.delete(worker.id);
        answerer?.workerGone(worker.id);
        if (!listening) return reject(new Error(`a server worker exited before it listened (${signal ?? `exit code ${code}`}); what it printed is above, and --workers 1 serves from one process, without workers`));
        if (closing) return;
        const delay = Date.now() - startedAt < QUICK_EXIT_MS ? RESTART_DELAY_MS : 0;
        options.log(`kubeca: server worker ${worker.process.pid} exited (${signal ?? `exit code ${code}`}); starting another${delay ? ` in ${delay} ms` : ""}\n`);
        setTimeout(() => {
          if (closing) return;
          fork().catch((e) => options.log(`kubeca: a server worker did not start again: ${(e as Error).message}\n`));
        }, delay);
      });
    });
  }

  let closed: Promise<void> | undefined;
  function close(): Promise<void> {
    closed ??= (async () => {
      closing = true;
      const exits = [...running.values()].map(({ worker, exited }) => {
        try {
          if (worker.isConnected()) worker.send({ kind: "close" } satisfies PrimaryMessage, ignore);
        } catch {
          // Already gone.
        }
        return exited;
      });
      await Promise.all(exits);
      fleet?.close();
      await service?.close();
    })();
    return closed;
  }

  const forks = Array.from({ length: options.workers }, fork);
  // A worker that fails before the service is open is reported with the others below.
  for (const f of forks) f.catch(() => undefined);
  try {
    const development = dev ? generateDevelopmentKeys(loaded.config) : new Map();
    service = await createIssuanceService(loaded, {
      dev,
      development,
      metrics: prometheus,
      onAuditRecord: (record) => fleet?.observe(record),
    });
    const opened = service;
    fleet = watchService(prometheus, opened, { fleet: true });
    answerer = createCallAnswerer(
      {
        audit: opened.audit,
        idempotency: opened.idempotency,
        rateLimiter: createRateLimiter(loaded.config.rateLimits, undefined, prometheus),
        replayCache: createMemoryReplayCache(),
        changeRotation: (caller, origin, change) => opened.changeRotation(caller, origin, change),
        metrics: gatherMetrics,
        async readiness(): Promise<readonly ReadinessCheck[]> {
          const checks = await opened.readiness();
          const workers: ReadinessCheck = { name: "workers", ok: serving.size > 0, detail: `${serving.size} of ${options.workers} worker(s) serving` };
          return [...checks, workers];
        },
      },
      (what, error) => options.log(`kubeca: unexpected failure ${what}: ${error instanceof Error ? error.message : String(error)}`),
    );
    // The file store creates its file here, so workers' audit readers find it from the first request.
    await opened.readiness();
    provideStart({
      loaded,
      dev,
      development: developmentCasForWorkers(development, opened.rotations),
      host: options.host,
      port: options.port,
      https: options.https && { cert: Buffer.from(options.https.cert).toString("utf8"), key: Buffer.from(options.https.key).toString("utf8") },
      trustProxy: options.trustProxy,
      logLevel: options.logLevel,
    });
  } catch (e) {
    await close();
    throw e;
  }

  const started = await Promise.allSettled(forks);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await close();
    throw failed.reason;
  }
  return { address: (started[0] as PromiseFulfilledResult<string>).value, close };
}
