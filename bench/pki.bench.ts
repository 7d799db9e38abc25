// The issuance hot path on one core: parseCsr (with signature check) + issue with a memory signer.
// Prints figures and exits; never passes or fails on time (design: "The issuance hot path").
// Run: node --import tsx bench/pki.bench.ts
import { webcrypto } from "node:crypto";
import { pathToFileURL } from "node:url";
import { x509 } from "../src/pki/peculiar-x509.js";
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
  await benchPeculiarX509(seconds);
}

/**
 * The same work as "parseCsr + issue" for a P-256 CSR and a P-256 CA, done with @peculiar/x509 as its
 * documentation shows (parse, verify, generate with the CA's WebCrypto key): the baseline docs/design.md
 * compares the byte-level hot path with.
 */
async function benchPeculiarX509(seconds: number): Promise<void> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
  const caKeys = (await webcrypto.subtle.generateKey(alg, false, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({ name: "CN=kubernetes", keys: caKeys, signingAlgorithm: alg });
  const pems = Array.from({ length: POOL }, () => buildCsr(withKey("P-256", newKey("P-256")), withDnsNames("cp-1", "kubernetes"), withIpAddresses("10.96.0.1")).pem);
  let i = 0;
  await measure("@peculiar/x509 parse + verify + generate, P-256", seconds, async () => {
    const csr = new x509.Pkcs10CertificateRequest(pems[i++ % POOL]!);
    if (!(await csr.verify())) throw new Error("CSR signature");
    await x509.X509CertificateGenerator.create({
      subject: csr.subject,
      issuer: ca.subject,
      serialNumber: "42",
      notBefore: NOW,
      notAfter: new Date(NOW.getTime() + 31_536_000_000),
      publicKey: csr.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: alg,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.1"]),
        ...csr.extensions.filter((e) => e.type === "2.5.29.17"),
      ],
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchPki(Number(process.env.BENCH_SECONDS ?? 2));
}
