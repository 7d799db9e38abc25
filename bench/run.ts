// `npm run bench`: every benchmark in turn. Figures only; nothing here passes or fails on time.
// Run one alone with `node --import tsx bench/run.ts pki|pkcs11|http|metrics|latency|lambda|audit|kubelet|ship|cfssl`.
// `cfssl` (kubeca next to cfssl under wrk) needs `apt-get install golang-cfssl wrk` and runs only when named.
import { benchAudit } from "./audit.bench.js";
import { benchCfssl } from "./cfssl.bench.js";
import { benchHttp } from "./http.bench.js";
import { benchKubelet } from "./kubelet.bench.js";
import { benchLatency } from "./latency.bench.js";
import { benchLambda } from "./lambda.bench.js";
import { benchMetrics } from "./metrics.bench.js";
import { benchPkcs11 } from "./pkcs11.bench.js";
import { benchPki } from "./pki.bench.js";
import { benchShip } from "./ship.bench.js";

const all: Record<string, () => Promise<void>> = {
  pki: () => benchPki(1.5),
  pkcs11: () => benchPkcs11(1.5),
  http: () => benchHttp(),
  metrics: () => benchMetrics(),
  latency: () => benchLatency(),
  lambda: () => benchLambda(),
  audit: () => benchAudit(),
  kubelet: () => benchKubelet(),
  ship: () => benchShip(),
};
/** Named only: they need programs npm does not install. */
const named: Record<string, () => Promise<void>> = { cfssl: () => benchCfssl() };
const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : Object.keys(all)) {
  const run = all[name] ?? named[name];
  if (!run) {
    console.error(`unknown benchmark ${name}; choose from ${[...Object.keys(all), ...Object.keys(named)].join(", ")}`);
    process.exit(2);
  }
  await run();
}
