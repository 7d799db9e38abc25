// The pkcs11 signer against SoftHSM2 next to the memory signer, in the same run: parseCsr + issue
// per certificate, one at a time (latency p50/p99) and 16 in flight on the signer's session pool
// (throughput). Figures only; nothing passes or fails on time. Needs softhsm2 (apt) installed.
// Run: node --import tsx bench/run.ts pkcs11
import { pathToFileURL } from "node:url";
import type { KeyAlgorithmName, Pkcs11SignerConfig } from "../src/config/index.js";
import { SignerConfig } from "../src/config/index.js";
import { compileLeafExtensions, createCaCertificate, createLeafIssuer, parseCsr, readCaCertificate } from "../src/pki/index.js";
import { createMemorySigner, type Signer } from "../src/signers/index.js";
import { createPkcs11Signer } from "../src/signers/pkcs11.js";
import { generatePkcs11KeyPair } from "../src/signers/pkcs11-keygen.js";
import { buildCsr, newKey, withDnsNames, withIpAddresses, withKey } from "../test/support/csr-builder.js";
import { createTestToken, pkcs11SignerConfig, SOFTHSM_MODULE } from "../test/support/softhsm.js";

const NOW = new Date("2026-11-27T10:00:00Z");
const POOL = 32;
const IN_FLIGHT = 16;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(label: string, seconds: number, issueOne: () => Promise<void>): Promise<void> {
  for (let i = 0; i < 50; i++) await issueOne(); // warm up
  // One at a time: latency of a certificate.
  const latencies: number[] = [];
  let start = process.hrtime.bigint();
  let deadline = start + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < deadline) {
    const t0 = process.hrtime.bigint();
    await issueOne();
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const sequentialSecs = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  // IN_FLIGHT at a time: what the signer sustains when requests overlap.
  let done = 0;
  start = process.hrtime.bigint();
  deadline = start + BigInt(Math.round(seconds * 1e9));
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (process.hrtime.bigint() < deadline) {
        await issueOne();
        done++;
      }
    }),
  );
  const concurrentSecs = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    `${label.padEnd(40)} ${String(Math.round(latencies.length / sequentialSecs)).padStart(6)} /s  p50 ${percentile(latencies, 50).toFixed(2).padStart(6)} ms  p99 ${percentile(latencies, 99).toFixed(2).padStart(6)} ms  ${String(Math.round(done / concurrentSecs)).padStart(6)} /s with ${IN_FLIGHT} in flight`,
  );
}

async function issuerFor(signer: Signer) {
  const ca = readCaCertificate(
    await createCaCertificate({
      commonName: "kubernetes",
      signer,
      serial: new Uint8Array([1]),
      notBefore: new Date(NOW.getTime() - 3600_000),
      notAfter: new Date(NOW.getTime() + 10 * 365 * 86400_000),
    }),
  );
  return createLeafIssuer(ca, signer);
}

export async function benchPkcs11(seconds = 2): Promise<void> {
  console.log(`pkcs11 signer (SoftHSM2, ${SOFTHSM_MODULE}) vs memory signer: parseCsr + issue, P-256 CSRs, node ${process.version}`);
  const token = await createTestToken("kubeca-bench");
  const extensions = compileLeafExtensions(["serverAuth"]);
  const pems = Array.from({ length: POOL }, () => buildCsr(withKey("P-256", newKey("P-256")), withDnsNames("cp-1", "kubernetes"), withIpAddresses("10.96.0.1")).pem);
  const serial = new Uint8Array(16).fill(0x42);
  const scenarios: [KeyAlgorithmName, "pkcs1" | "pss"][] = [
    ["ECDSA-P256", "pkcs1"],
    ["ECDSA-P384", "pkcs1"],
    ["RSA-2048", "pkcs1"],
    ["RSA-2048", "pss"],
  ];
  try {
    for (const algorithm of new Set(scenarios.map(([a]) => a))) {
      await generatePkcs11KeyPair({ module: SOFTHSM_MODULE, token: { label: token.label }, pin: { env: "PIN" }, label: algorithm, algorithm, env: { PIN: token.pin } });
    }
    for (const [algorithm, rsaPadding] of scenarios) {
      const tag = `${algorithm}${rsaPadding === "pss" ? " PSS" : ""}`;
      const pkcs11 = await createPkcs11Signer(SignerConfig.parse(pkcs11SignerConfig(token, { label: algorithm }, { rsaPadding })) as Pkcs11SignerConfig);
      try {
        for (const [kind, signer] of [["memory", createMemorySigner(algorithm, { rsaPadding })], ["pkcs11 (4 sessions)", pkcs11]] as const) {
          const issuer = await issuerFor(signer);
          let i = 0;
          await measure(`${kind.padEnd(20)} ${tag}`, seconds, async () => {
            await issuer.issue({ csr: parseCsr(pems[i++ % POOL]!), extensions, serial, now: NOW, validitySeconds: 31_536_000 });
          });
        }
      } finally {
        pkcs11.close();
      }
    }
  } finally {
    await token.cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchPkcs11(Number(process.env.BENCH_SECONDS ?? 2));
}
