// The issuance hot path on one core: parseCsr (with signature check) + issue with a memory signer.
// Prints figures and exits; never passes or fails on time (design: "The issuance hot path").
// Run: node --import tsx bench/pki.bench.ts
import { pathToFileURL } from "node:url";
import { compileLeafExtensions, createCaCertificate, createLeafIssuer, parseCsr, readCaCertificate } from "../src/pki/index.js";
import type { KeyAlgorithmName } from "../src/config/index.js";
import { createMemorySigner } from "../src/signers/memory.js";
import { buildCsr, newKey, withDnsNames, withIpAddresses, withKey, type CsrKeyType } from "../test/support/csr-builder.js";

const NOW = new Date("2026-11-27T10:00:00Z");
const POOL = 32; // distinct CSRs (distinct keys), cycled

function measure(label: string, seconds: number, run: () => Promise<void> | void): Promise<void> {
  return (async () => {
    for (let i = 0; i < 200; i++) await run(); // warm up the JIT and OpenSSL's caches
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round(seconds * 1e9));
    let n = 0;
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < 50; i++) await run();
      n += 50;
      now = process.hrtime.bigint();
    }
    const secs = Number(now - start) / 1e9;
    console.log(`${label.padEnd(52)} ${String(Math.round(n / secs)).padStart(7)} /s  ${((secs / n) * 1e6).toFixed(1).padStart(7)} µs`);
  })();
}

export async function benchPki(seconds = 2): Promise<void> {
  console.log(`pki hot path, one core, node ${process.version}`);
  const scenarios: [CsrKeyType, KeyAlgorithmName, "pkcs1" | "pss"][] = [
    ["P-256", "ECDSA-P256", "pkcs1"],
    ["RSA-2048", "ECDSA-P256", "pkcs1"],
    ["P-384", "ECDSA-P256", "pkcs1"],
    ["P-256", "ECDSA-P384", "pkcs1"],
    ["P-256", "RSA-2048", "pkcs1"],
  ];
  for (const [csrKey, caKey, padding] of scenarios) {
    const signer = createMemorySigner(caKey, { rsaPadding: padding });
    const ca = readCaCertificate(
      await createCaCertificate({
        commonName: "kubernetes",
        signer,
        serial: new Uint8Array([1]),
        notBefore: new Date(NOW.getTime() - 3600_000),
        notAfter: new Date(NOW.getTime() + 10 * 365 * 86400_000),
      }),
    );
    const issuer = createLeafIssuer(ca, signer);
    const extensions = compileLeafExtensions(["serverAuth"]);
    const pems = Array.from({ length: POOL }, () =>
      buildCsr(withKey(csrKey, newKey(csrKey)), withDnsNames("cp-1", "kubernetes", "kubernetes.default"), withIpAddresses("10.96.0.1", "10.0.0.10")).pem,
    );
    const parsed = pems.map((p) => parseCsr(p));
    const serial = new Uint8Array(16).fill(0x42);
    let i = 0;
    const tag = `${csrKey} CSR, ${caKey}${padding === "pss" ? " PSS" : ""} signer`;
    await measure(`parseCsr            ${tag}`, seconds, () => void parseCsr(pems[i++ % POOL]!));
    await measure(`issue               ${tag}`, seconds, async () => {
      await issuer.issue({ csr: parsed[i++ % POOL]!, extensions, serial, now: NOW, validitySeconds: 31_536_000 });
    });
    await measure(`parseCsr + issue    ${tag}`, seconds, async () => {
      const csr = parseCsr(pems[i++ % POOL]!);
      await issuer.issue({ csr, extensions, serial, now: NOW, validitySeconds: 31_536_000 });
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchPki(Number(process.env.BENCH_SECONDS ?? 2));
}
