// /healthz and /readyz for the Deployment's probes, and /metrics for Prometheus when a registry is
// given. Liveness only proves the event loop turns; readiness is the controller's (it reaches the
// apiserver and holds or can read the Lease; controller.ts).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { MetricsEndpoint } from "../metrics/index.js";

export async function startHealthServer(
  port: number,
  ready: () => boolean,
  host = "0.0.0.0",
  metrics?: MetricsEndpoint,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url === "/metrics" && metrics) {
      metrics.text().then(
        (text) => {
          res.writeHead(200, { "content-type": metrics.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end("metrics could not be collected\n");
        },
      );
      return;
    }
    const ok = req.url === "/healthz" ? true : req.url === "/readyz" ? ready() : undefined;
    res.writeHead(ok === undefined ? 404 : ok ? 200 : 503, { "content-type": "text/plain" });
    res.end(ok === undefined ? "not found\n" : ok ? "ok\n" : "not ready\n");
  });
  // A port in use is an 'error' event, not a thrown error: without the listener it would crash the process.
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
