// One configured CA, compiled once at start: its certificate, its signer (checked to hold the
// certificate's key), the leaf issuer with its constant encodings, and per-EKU extension DER.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import type { CaConfig, CaName } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import { CA_COMMON_NAMES } from "../kubeadm/index.js";
import {
  compileLeafExtensions,
  createCaCertificate,
  createLeafIssuer,
  readCaCertificate,
  randomSerial,
  type CaCertificateInfo,
  type LeafExtensions,
  type LeafIssuer,
} from "../pki/index.js";
import type { KeyObject } from "node:crypto";
import type { SignerMetrics } from "../metrics/index.js";
import { assertSignerMatchesCertificate, createMemorySigner, createSigner, type Signer } from "../signers/index.js";
import { timedSigner } from "./timed-signer.js";

export type ExtKeyUsageName = "serverAuth" | "clientAuth";

export interface IssuingCa {
  readonly name: CaName;
  readonly info: CaCertificateInfo;
  readonly signer: Signer;
  readonly issuer: LeafIssuer;
  /** The constant extensions for these EKUs; key encipherment in KeyUsage unless `keyEncipherment: false`. */
  extensionsFor(eku: readonly ExtKeyUsageName[], keyUsage?: { readonly keyEncipherment: boolean }): LeafExtensions;
}

export function resolveFrom(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

export interface OpenCaOptions {
  /** Development mode: memory signers are allowed, and their CA certificate is minted at start. */
  readonly dev: boolean;
  readonly now: () => Date;
  /** CA validity when minting in development (default 10 years, as kubeadm). */
  readonly devCaValiditySeconds?: number;
  /** A memory signer's key made elsewhere, and its certificate if that was minted already (serve workers). */
  readonly development?: DevelopmentCa;
  /** Times every Sign call of issued certificates (default: nobody listens). */
  readonly metrics?: SignerMetrics;
}

/** A development CA shared by the processes of one `kubeca serve --workers N`. */
export interface DevelopmentCa {
  readonly key: KeyObject;
  /** DER; absent: mint (and write) it here. */
  readonly certificate?: Uint8Array;
}

export async function openIssuingCa(
  name: CaName,
  cfg: Pick<CaConfig, "certificate" | "signer">,
  baseDir: string,
  options: OpenCaOptions,
  /** Where this CA sits in the config, for messages: `cas.ca`, or `cas.ca.next`. */
  at = `cas.${name}`,
): Promise<IssuingCa> {
  if (cfg.signer.type === "memory" && !options.dev) {
    throw new KubecaError(
      "KUBECA_CONFIG_INVALID",
      `${at}.signer: the memory signer is for development only (its key is lost at exit); run with --dev, or use an aws-kms signer`,
    );
  }
  const given = cfg.signer.type === "memory" ? options.development : undefined;
  const signer = given && cfg.signer.type === "memory" ? createMemorySigner(cfg.signer.algorithm, { key: given.key }) : await createSigner(cfg.signer);
  let info: CaCertificateInfo;
  if (given?.certificate) {
    // Minted (and written) by the process that made the key; the same check as a configured certificate.
    info = readCaCertificate(given.certificate);
    assertSignerMatchesCertificate(name, signer, info.spkiDer);
  } else if (cfg.signer.type === "memory") {
    info = await mintDevelopmentCa(name, signer, cfg, baseDir, options);
  } else {
    info = readCaCertificate(await readCertificateSource(at, cfg, baseDir));
    assertSignerMatchesCertificate(name, signer, info.spkiDer);
  }
  const issuer = createLeafIssuer(info, options.metrics ? timedSigner(name, signer, options.metrics) : signer);
  const cache = new Map<string, LeafExtensions>();
  return Object.freeze({
    name,
    info,
    signer,
    issuer,
    extensionsFor(eku: readonly ExtKeyUsageName[], keyUsage = { keyEncipherment: true }): LeafExtensions {
      const key = `${eku.join(",")}/${keyUsage.keyEncipherment}`;
      let ext = cache.get(key);
      if (!ext) {
        ext = compileLeafExtensions(eku, keyUsage);
        cache.set(key, ext);
      }
      return ext;
    },
  });
}

async function readCertificateSource(at: string, cfg: Pick<CaConfig, "certificate">, baseDir: string): Promise<string> {
  const src = cfg.certificate;
  if ("pem" in src) return src.pem;
  const path = resolveFrom(baseDir, src.file);
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new KubecaError(
      "KUBECA_CONFIG_INVALID",
      `${at}.certificate.file: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? "error"}); create it with kubeca ca init${at.endsWith(".next") ? " --next" : ""}`,
      { cause: e },
    );
  }
}

/** A memory signer's key is new at every start, so its self-signed CA certificate is too. */
async function mintDevelopmentCa(name: CaName, signer: Signer, cfg: Pick<CaConfig, "certificate">, baseDir: string, options: OpenCaOptions): Promise<CaCertificateInfo> {
  const now = options.now();
  const der = await createCaCertificate({
    commonName: CA_COMMON_NAMES[name],
    signer,
    serial: randomSerial(),
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + (options.devCaValiditySeconds ?? 87600 * 3600) * 1000),
  });
  const info = readCaCertificate(der);
  if ("file" in cfg.certificate) {
    const path = resolveFrom(baseDir, cfg.certificate.file);
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    await writeFile(path, info.pem, { mode: 0o644 });
  }
  return info;
}
