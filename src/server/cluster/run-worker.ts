// A worker process of `kubeca serve --workers N`: waits for its primary's start message, opens the
// app with the primary's audit log, idempotency window, rate limits, replay cache and readiness
// (remote-services.ts) and its own signers, and listens on the socket node:cluster shares.
// It drains and exits when the primary says close, on SIGTERM/SIGINT, or when the primary is gone.
import type { FastifyInstance } from "fastify";
import { ServeMetrics } from "../../metrics/prometheus.js";
import { createApp } from "../create-app.js";
import { developmentCasFromPrimary } from "./development-cas.js";
import { PrimaryChannel, type IpcEndpoint } from "./primary-channel.js";
import { toStartError, type PrimaryMessage, type WorkerStart } from "./protocol.js";
import { remoteServices } from "./remote-services.js";

/** After draining, a handle some library left open must not keep a worker the primary waits for. */
const EXIT_GRACE_MS = 5_000;

/** Resolves once the worker listens, or rejects (after telling the primary why) if it cannot start. */
export async function runWorker(options: { readonly version: string }, endpoint: IpcEndpoint & { disconnect?(): void } = process): Promise<void> {
  let app: FastifyInstance | undefined;
  let stopping: Promise<void> | undefined;
  let onStart: (start: WorkerStart) => void = () => undefined;
  const started = new Promise<WorkerStart>((resolve) => (onStart = resolve));

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await app?.close().catch(() => undefined);
      channel.flush();
      if (endpoint.connected) endpoint.disconnect?.();
      // Unreferenced: it fires only if something still holds the event loop open.
      setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
    })());

  // This worker's counters; a scrape at any worker is answered with every process's (run-primary.ts).
  const prometheus = new ServeMetrics({ version: options.version });
  const channel = new PrimaryChannel(endpoint, (message: PrimaryMessage) => {
    if (message.kind === "start") onStart(message.start);
    else if (message.kind === "close") void stop();
    else if (message.kind === "metrics-request") {
      void prometheus.registry.getMetricsAsJSON().then((metrics) => channel.send({ kind: "metrics", id: message.id, metrics }));
    }
  });
  // The primary is gone: requests in flight fail closed (503) through the channel; stop taking more.
  endpoint.on("disconnect", () => void stop());
  process.once("SIGTERM", () => void stop());
  process.once("SIGINT", () => void stop());
  channel.send({ kind: "hello" });

  const start = await started;
  try {
    app = await createApp(start.loaded, {
      dev: start.dev,
      development: developmentCasFromPrimary(start.development),
      logger: { level: start.logLevel },
      trustProxy: start.trustProxy,
      ...(start.https ? { https: start.https } : {}),
      primary: remoteServices(channel),
      prometheus,
    });
    const address = await app.listen({ host: start.host, port: start.port });
    channel.send({ kind: "listening", address });
  } catch (e) {
    channel.send({ kind: "start-failed", error: toStartError(e) });
    await stop();
    throw e;
  }
}
