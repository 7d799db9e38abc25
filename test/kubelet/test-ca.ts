// A CA for tests built from the real pki/ functions and a memory signer, plus its PEM on disk for
// openssl. Serials come from a counter so tests can pin them.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemorySigner } from "../../src/signers/memory.js";
import { compileLeafExtensions, createCaCertificate, createLeafIssuer, encodePem, readCaCertificate } from "../../src/pki/index.js";
import type { CaName } from "../../src/config/index.js";
import type { KubeletCa, KubeletCaLookup } from "../../src/kubelet/kubelet-ca.js";
import type { ExtKeyUsageName, LeafExtensions } from "../../src/pki/index.js";

export interface TestCa extends KubeletCa {
  readonly pem: string;
  readonly pemFile: string;
}

export async function createTestCa(
  name: CaName,
  commonName = name === "ca" ? "kubernetes" : name,
  validity: { notBefore: Date; notAfter: Date } = { notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 10 * 365 * 86400_000) },
): Promise<TestCa> {
  const signer = createMemorySigner("ECDSA-P256");
  const der = await createCaCertificate({ commonName, signer, serial: new Uint8Array([1]), ...validity });
  const pem = encodePem("CERTIFICATE", der);
  const info = readCaCertificate(pem);
  const issuer = createLeafIssuer(info, signer);
  const pemFile = join(mkdtempSync(join(tmpdir(), "kubeca-kubelet-")), `${name}.crt`);
  writeFileSync(pemFile, pem);
  // Compiled once per profile, as issuance/issuing-ca.ts does (the kubelet bench signs with this CA).
  const compiled = new Map<string, LeafExtensions>();
  const extensionsFor = (eku: readonly ExtKeyUsageName[], keyUsage: { keyEncipherment: boolean }) => {
    const key = `${eku.join(",")}/${keyUsage.keyEncipherment}`;
    let ext = compiled.get(key);
    if (!ext) compiled.set(key, (ext = compileLeafExtensions(eku, keyUsage)));
    return ext;
  };
  return { name, issuer, extensionsFor, pem, pemFile };
}

export function lookup(...cas: KubeletCa[]): KubeletCaLookup {
  return async (name) => cas.find((c) => c.name === name);
}

export function counterSerial(start = 0x1000): () => Uint8Array {
  let n = start;
  return () => {
    n++;
    return new Uint8Array([(n >> 16) & 0x7f, (n >> 8) & 0xff, n & 0xff]);
  };
}
