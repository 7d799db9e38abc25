// Load generator for the HTTP benchmarks, run in a worker thread so the client does not share the
// server's event loop. Sends `requests` POSTs with `concurrency` keep-alive connections, cycling through
// the bodies it was given, and reports every latency in microseconds. Bounded in count and time.
import { Agent, request } from "node:http";
import { parentPort, workerData } from "node:worker_threads";

const { url, path, headers, bodies, concurrency, requests, maxSeconds, scrape } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const target = new URL(path, url);
const latencies = [];
const statuses = {};
let sent = 0;
const deadline = Date.now() + maxSeconds * 1000;

function one(body) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const req = request(target, { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => {
        latencies.push(Number(process.hrtime.bigint() - start) / 1000);
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        resolve();
      });
    });
    req.on("error", () => {
      statuses.error = (statuses.error ?? 0) + 1;
      resolve();
    });
    req.end(body);
  });
}

async function lane() {
  while (sent < requests && Date.now() < deadline) {
    const body = bodies[sent % bodies.length];
    sent++;
    await one(body);
  }
}

const scrapes = [];
function scrapeOnce() {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const req = request(new URL(scrape.path, url), { method: "GET" }, (res) => {
      let bytes = 0;
      res.on("data", (b) => (bytes += b.length));
      res.on("end", () => {
        scrapes.push({ micros: Number(process.hrtime.bigint() - start) / 1000, bytes, status: res.statusCode });
        resolve();
      });
    });
    req.on("error", () => resolve());
    req.end();
  });
}

const start = process.hrtime.bigint();
const timer = scrape ? setInterval(() => void scrapeOnce(), scrape.everyMs) : undefined;
await Promise.all(Array.from({ length: concurrency }, lane));
clearInterval(timer);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
agent.destroy();
parentPort.postMessage({ latencies, statuses, seconds, ...(scrape ? { scrapes } : {}) });
