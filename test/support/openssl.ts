// openssl as an independent second opinion on what kubeca writes: verify chains strictly, print
// certificates, check CSR self-signatures, and make CSRs the way operators do. Inputs go through
// temporary files that are removed afterwards.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OpensslResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `openssl ...args` and resolves with its exit code and output, whatever the exit code. */
export function openssl(args: readonly string[]): Promise<OpensslResult> {
  return new Promise((resolve, reject) => {
    execFile("openssl", args, { encoding: "utf8", timeout: 20_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") return reject(error); // openssl missing, timeout
      resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
    });
  });
}

/** Writes `files` (name → contents) to a fresh directory, runs `fn` with their paths, then removes it. */
export async function withTempFiles<T>(
  files: Record<string, string | Uint8Array>,
  fn: (paths: Record<string, string>, dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "kubeca-openssl-"));
  try {
    const paths: Record<string, string> = {};
    for (const [name, contents] of Object.entries(files)) {
      paths[name] = join(dir, name);
      await writeFile(paths[name], contents);
    }
    return await fn(paths, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface VerifyOptions {
  readonly caPem: string;
  readonly certPem: string;
  /** Leave out to check the chain only (e.g. a CA against itself). */
  readonly purpose?: "sslserver" | "sslclient";
  /** Check validity at this instant instead of the wall clock (tests pin `now`). */
  readonly at?: Date;
}

/** `openssl verify -x509_strict [-purpose P] -CAfile ca.pem cert.pem`; code 0 and "cert.pem: OK" on success. */
export function opensslVerify(options: VerifyOptions): Promise<OpensslResult> {
  return withTempFiles({ "ca.pem": options.caPem, "cert.pem": options.certPem }, (p) =>
    openssl([
      "verify",
      "-x509_strict",
      ...(options.purpose ? ["-purpose", options.purpose] : []),
      ...(options.at ? ["-attime", String(Math.floor(options.at.getTime() / 1000))] : []),
      "-CAfile",
      p["ca.pem"]!,
      p["cert.pem"]!,
    ]),
  );
}

/** `openssl x509 -text -noout`: the certificate as openssl understands it. */
export async function opensslCertText(certPem: string): Promise<string> {
  const r = await withTempFiles({ "cert.pem": certPem }, (p) => openssl(["x509", "-in", p["cert.pem"]!, "-text", "-noout"]));
  if (r.code !== 0) throw new Error(`openssl x509 failed: ${r.stderr}`);
  return r.stdout;
}

/** `openssl req -verify -noout`: checks a CSR's self-signature. */
export function opensslReqVerify(csrPem: string): Promise<OpensslResult> {
  return withTempFiles({ "req.pem": csrPem }, (p) => openssl(["req", "-in", p["req.pem"]!, "-verify", "-noout"]));
}

export interface OpensslCsrOptions {
  /** `openssl genpkey` algorithm options, e.g. ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]. */
  readonly keyArgs: readonly string[];
  /** `-subj` text, e.g. "/CN=kube-apiserver/O=example". */
  readonly subject: string;
  /** subjectAltName text, e.g. "DNS:cp-1,IP:10.0.0.10". */
  readonly subjectAltName?: string;
  /** Digest for the self-signature, e.g. "-sha256". */
  readonly digest?: string;
}

/** A CSR made by `openssl req -new`, as an operator would; returns the PEM CSR and PEM key. */
export function opensslMakeCsr(options: OpensslCsrOptions): Promise<{ csrPem: string; keyPem: string }> {
  return withTempFiles({}, async (_, dir) => {
    const key = join(dir, "key.pem");
    const csr = join(dir, "req.pem");
    const gen = await openssl(["genpkey", ...options.keyArgs, "-out", key]);
    if (gen.code !== 0) throw new Error(`openssl genpkey failed: ${gen.stderr}`);
    const req = await openssl([
      "req",
      "-new",
      "-key",
      key,
      "-subj",
      options.subject,
      ...(options.subjectAltName ? ["-addext", `subjectAltName=${options.subjectAltName}`] : []),
      ...(options.digest ? [options.digest] : []),
      "-out",
      csr,
    ]);
    if (req.code !== 0) throw new Error(`openssl req failed: ${req.stderr}`);
    return { csrPem: await readFile(csr, "utf8"), keyPem: await readFile(key, "utf8") };
  });
}

/**
 * A self-signed certificate made by `openssl req -x509` with exactly the extensions in `extensions`
 * (config-file syntax, one per line), for CA certificates kubeca must refuse.
 */
export function opensslSelfSigned(extensions: readonly string[], subject = "CN=test-ca"): Promise<string> {
  const config = ["[req]", "distinguished_name = dn", "x509_extensions = ext", "prompt = no", "[dn]", subject, "[ext]", ...extensions, ""].join("\n");
  return withTempFiles({ "req.cnf": config }, async (p, dir) => {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    const gen = await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key]);
    if (gen.code !== 0) throw new Error(`openssl genpkey failed: ${gen.stderr}`);
    const req = await openssl(["req", "-x509", "-new", "-key", key, "-config", p["req.cnf"]!, "-days", "30", "-out", cert]);
    if (req.code !== 0) throw new Error(`openssl req -x509 failed: ${req.stderr}`);
    return readFile(cert, "utf8");
  });
}
