// `kubeca ca init` creates the self-signed CA certificates through their signers (with KMS the key
// never leaves KMS); `kubeca ca show` prints what a CA certificate is.
import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CaName, loadConfigFile } from "../../config/index.js";
import { KubecaError } from "../../errors/index.js";
import { resolveFrom } from "../../issuance/issuing-ca.js";
import { CA_COMMON_NAMES, CA_FILES } from "../../kubeadm/index.js";
import { inspectCaCertificate, kubeadmCaDifferences, type CaInspection } from "../../pki/ca-inspection.js";
import { createCaCertificate, randomSerial, readCaCertificate } from "../../pki/index.js";
import { createSigner, isClosable, signerKeyLeavesToken } from "../../signers/index.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_FAILURE, EXIT_OK } from "../exit-codes.js";
import { parseDurationSeconds, parseFlags, UsageError } from "../flags.js";

export const caInitCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      config: { type: "string" },
      only: { type: "string", multiple: true },
      validity: { type: "string", default: "87600h" },
      "out-dir": { type: "string" },
      force: { type: "boolean", default: false },
      next: { type: "boolean", default: false },
    });
    if (!values.config) throw new UsageError("--config FILE is required");
    const validity = parseDurationSeconds(values.validity, "--validity");
    const { config, baseDir } = await loadConfigFile(values.config);
    const only = values.only ?? [];
    for (const n of only) {
      if (!CaName.safeParse(n).success) throw new UsageError(`--only ${n}: not a CA name (ca, etcd-ca, front-proxy-ca)`);
    }
    // --next: the CA each entry rotates to (cas.<name>.next), made the same way with its own signer.
    const entryOf = (n: CaName) => (values.next ? config.cas[n]?.next : config.cas[n]);
    const at = (n: CaName) => (values.next ? `cas.${n}.next` : `cas.${n}`);
    const names = CaName.options.filter((n) => entryOf(n) && (only.length === 0 || only.includes(n)));
    if (names.length === 0) {
      throw new UsageError(values.next ? "no next CA to create: no requested CA names one under cas.<name>.next" : "no CA to create: none of the requested CAs is configured under cas");
    }

    // Decide every target first, so nothing is written when one of them would be refused.
    const targets = names.map((name) => {
      const cfg = entryOf(name)!;
      if (cfg.signer.type === "memory") {
        throw new KubecaError(
          "KUBECA_CONFIG_INVALID",
          `${at(name)}.signer is a memory signer: its key dies with this command, so a CA made with it would be useless. Use aws-kms or pkcs11.`,
        );
      }
      if (values.next && config.cas[name]!.signer.type === cfg.signer.type && JSON.stringify(config.cas[name]!.signer) === JSON.stringify(cfg.signer)) {
        throw new KubecaError("KUBECA_CONFIG_INVALID", `cas.${name}.next.signer is the same key as cas.${name}.signer; a rotation needs a new key`);
      }
      const path = values["out-dir"]
        ? join(values["out-dir"], values.next ? CA_FILES[name].replace(/\.crt$/, "-next.crt") : CA_FILES[name])
        : "file" in cfg.certificate
          ? resolveFrom(baseDir, cfg.certificate.file)
          : undefined;
      if (!path) throw new UsageError(`${at(name)}.certificate is inline PEM; pass --out-dir to say where to write`);
      return { name, cfg, path };
    });
    for (const t of targets) {
      if (!values.force && (await exists(t.path))) {
        throw new UsageError(`${t.path} exists; every certificate it signed would stop chaining if replaced. Pass --force to replace it.`);
      }
    }

    const now = new Date();
    for (const t of targets) {
      io.stderr.write(`creating ${t.name} (CN=${CA_COMMON_NAMES[t.name]}) with ${t.cfg.signer.type} signer...\n`);
      const signer = await createSigner(t.cfg.signer, { env: io.env });
      if (signerKeyLeavesToken(signer)) {
        io.stderr.write(`warning: ${t.name}'s private key can leave its token (allowExtractable: true); it is not a key only the HSM holds\n`);
      }
      let der: Uint8Array;
      try {
        der = await createCaCertificate({
          commonName: CA_COMMON_NAMES[t.name],
          signer,
          serial: randomSerial(),
          notBefore: new Date(now.getTime() - 5 * 60_000),
          notAfter: new Date(now.getTime() + validity * 1000),
        });
      } finally {
        if (isClosable(signer)) signer.close();
      }
      const info = readCaCertificate(der);
      // Read back with an independent X.509 implementation before anything is written: the signature
      // must verify with the key's public key, and the certificate must be the CA kubeadm would make.
      const shown = await describe(t.name, info.pem, t.path);
      const differences = kubeadmCaDifferences(shown, CA_COMMON_NAMES[t.name]);
      if (differences.length > 0) {
        throw new KubecaError("KUBECA_CA_INVALID", `the certificate made for ${t.name} with ${t.cfg.signer.type} is not a valid kubeadm CA (${differences.join("; ")}); nothing was written for it`);
      }
      await mkdir(dirname(t.path), { recursive: true, mode: 0o755 });
      await writeFile(t.path, info.pem, { mode: 0o644 });
      io.stdout.write(`${values.next ? `${t.name} (next)` : t.name}: wrote ${t.path}\n${formatDescription(shown)}\n`);
    }
    return EXIT_OK;
  },
};

export const caShowCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseFlags(
      argv,
      { config: { type: "string" }, "cert-dir": { type: "string" }, output: { type: "string", default: "text" } },
      true,
    );
    if (values.output !== "text" && values.output !== "json") throw new UsageError(`--output must be text or json, not ${values.output}`);
    const sources: { name: string; path: string | undefined; pem: string | undefined }[] = [];
    if (values.config) {
      const { config, baseDir } = await loadConfigFile(values.config);
      for (const name of CaName.options) {
        const cfg = config.cas[name];
        if (!cfg) continue;
        if ("pem" in cfg.certificate) sources.push({ name, path: undefined, pem: cfg.certificate.pem });
        else sources.push({ name, path: resolveFrom(baseDir, cfg.certificate.file), pem: undefined });
      }
    }
    if (values["cert-dir"]) {
      for (const name of CaName.options) sources.push({ name, path: join(values["cert-dir"], CA_FILES[name]), pem: undefined });
    }
    for (const p of positionals) sources.push({ name: p, path: p, pem: undefined });
    if (sources.length === 0) throw new UsageError("say which CAs to show: --config FILE, --cert-dir DIR or certificate files");

    const shown: CaDescription[] = [];
    let missing = 0;
    for (const s of sources) {
      let pem = s.pem;
      if (pem === undefined) {
        try {
          pem = await readFile(s.path!, "utf8");
        } catch {
          missing++;
          io.stderr.write(`${s.name}: ${s.path} is missing\n`);
          continue;
        }
      }
      shown.push(await describe(s.name, pem, s.path));
    }
    if (values.output === "json") io.stdout.write(JSON.stringify({ cas: shown }, null, 2) + "\n");
    else io.stdout.write(shown.map(formatDescription).join("\n") + (shown.length ? "\n" : ""));
    return missing > 0 ? EXIT_FAILURE : EXIT_OK;
  },
};

interface CaDescription extends CaInspection {
  readonly name: string;
  readonly file: string | undefined;
}

async function describe(name: string, pem: string, file: string | undefined): Promise<CaDescription> {
  const info = readCaCertificate(pem); // refuses non-CA certificates with a clear message
  return { name, file, ...(await inspectCaCertificate(info.der)) };
}

function formatDescription(d: CaDescription): string {
  return [
    `${d.name}${d.file ? ` (${d.file})` : ""}`,
    `  subject:     ${d.subject}`,
    `  key:         ${d.keyType}`,
    `  sha256:      ${d.sha256Fingerprint}`,
    `  not before:  ${d.notBefore}`,
    `  not after:   ${d.notAfter}`,
    `  key id:      ${d.subjectKeyId ?? "(none)"}`,
    `  self-signed: ${d.selfSigned ? "yes, the signature verifies with its own key" : `no (issuer ${d.issuer})`}`,
  ].join("\n");
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
