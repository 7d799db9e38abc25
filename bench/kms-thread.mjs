// The local KMS-protocol server on a thread of its own, so its signing (@noble/curves) and its latency
// timers do not share the event loop of the kubeca being measured. Posts { url, arn } when ready.
import { parentPort, workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { startKmsServer } = await import("../test/support/kms-server.ts");
const kms = await startKmsServer();
kms.setLatency(workerData.latencyMs);
const key = await kms.createKey("ECC_NIST_P256");
parentPort.postMessage({ url: kms.url, arn: key.arn });
parentPort.once("message", () => void kms.close().then(() => process.exit(0)));
