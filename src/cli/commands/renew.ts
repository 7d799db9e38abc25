// `kubeca renew`: flags → client/renew-node → a report on stdout, progress on stderr, an exit code.
import { readFile } from "node:fs/promises";
import { setTimeout as delay } from "node:timers/promises";
import {
  createRequestProver,
  createSignClient,
  DEFAULT_CERT_DIR,
  DEFAULT_KUBECONFIG_DIR,
  DEFAULT_MANIFEST_DIR,
  DEFAULT_KUBELET_PKI_DIR,
  describeAdvice,
  expirationInfo,
  renderExpirationTables,
  busyLine,
  NodeBusyError,
  renewNode,
  ProofCredentialsError,
  ServiceUnreachableError,
  type InstallHooks,
  type RenewReport,
  type SignClient,
  type SignClientOptions,
} from "../../client/index.js";
import { ERRORS, isKubecaError } from "../../errors/index.js";
import { findProfile, KNOWN_PROFILE_NAMES } from "../../kubeadm/index.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_BUSY, EXIT_CODES, EXIT_FAILURE, EXIT_OK, EXIT_UNAVAILABLE } from "../exit-codes.js";
import { parseDurationSeconds, parseFlags, UsageError } from "../flags.js";

export interface RenewCommandDeps {
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Tests replace the HTTP client or the network details. */
  readonly createClient?: (options: SignClientOptions) => SignClient;
  readonly installHooks?: InstallHooks;
}

const flags = {
  server: { type: "string" },
  "token-file": { type: "string" },
  "proof-cert": { type: "string" },
  "proof-key": { type: "string" },
  "ca-file": { type: "string" },
  "cert-dir": { type: "string", default: DEFAULT_CERT_DIR },
  "kubeconfig-dir": { type: "string", default: DEFAULT_KUBECONFIG_DIR },
  "csr-dir": { type: "string" },
  only: { type: "string", multiple: true },
  "dry-run": { type: "boolean", default: false },
  output: { type: "string", default: "text" },
  "keep-csr": { type: "boolean", default: false },
  "allow-partial": { type: "boolean", default: false },
  "backup-dir": { type: "string" },
  "restart-static-pods": { type: "boolean", default: false },
  "manifest-dir": { type: "string", default: DEFAULT_MANIFEST_DIR },
  "file-check-period": { type: "string", default: "20s" },
  "kubelet-pki-dir": { type: "string", default: DEFAULT_KUBELET_PKI_DIR },
} as const;

async function readRequired(path: string | undefined, flag: string): Promise<string> {
  if (!path) throw new UsageError(`${flag} is required`);
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Exactly one credential: a bearer token, or a certificate (and key) that signs each request. */
async function readCredential(
  values: { "token-file"?: string | undefined; "proof-cert"?: string | undefined; "proof-key"?: string | undefined },
  now: (() => Date) | undefined,
): Promise<Pick<SignClientOptions, "token" | "prover">> {
  const tokenFile = values["token-file"];
  const proofCert = values["proof-cert"];
  const proofKey = values["proof-key"];
  if (proofKey !== undefined && proofCert === undefined) throw new UsageError("--proof-key needs --proof-cert");
  if (tokenFile !== undefined && proofCert !== undefined) throw new UsageError("give one credential: --token-file, or --proof-cert (with --proof-key), not both");
  if (proofCert === undefined) {
    if (tokenFile === undefined) {
      throw new UsageError("--token-file is required, or --proof-cert FILE (with --proof-key FILE unless the key is in the same PEM, as in kubelet-client-current.pem)");
    }
    const token = (await readRequired(tokenFile, "--token-file")).trim();
    if (!token) throw new UsageError(`--token-file ${tokenFile} is empty`);
    return { token };
  }
  const certificatePem = await readRequired(proofCert, "--proof-cert");
  const keyPem = proofKey === undefined ? certificatePem : await readRequired(proofKey, "--proof-key");
  try {
    return { prover: createRequestProver({ certificatePem, keyPem }, now ? { now } : {}) };
  } catch (e) {
    if (e instanceof ProofCredentialsError) throw new UsageError(`--proof-cert ${proofCert}${proofKey ? ` --proof-key ${proofKey}` : ""}: ${e.message}`);
    throw e;
  }
}

function renderText(report: RenewReport): string {
  const lines: string[] = [];
  const width = Math.max(0, ...report.items.map((i) => i.name.length));
  for (const item of report.items) {
    const mark = { installed: "✓", "would-install": "·", failed: "✗", skipped: "-", "held-back": "○" }[item.status];
    const detail =
      item.status === "installed" ? `${item.files.join(", ")} (expires ${item.notAfter})` : item.status === "would-install" ? `would write ${item.files.join(", ")}` : `${item.reason ? `${item.reason}: ` : ""}${item.message ?? ""}`;
    lines.push(`${mark} ${item.name.padEnd(width)}  ${detail}`);
    for (const v of item.violations ?? []) lines.push(`    - ${v.field}: ${v.message} [${v.rule}]`);
  }
  if (report.failure) lines.push("", `nothing installed: ${report.failure}`);
  for (const path of report.caFilesWritten) lines.push(`wrote CA certificate ${path} (from GET /v1/ca; no CA key is ever written)`);
  if (report.backupDir && report.outcome !== "failed") lines.push(`backup of replaced files: ${report.backupDir}`);
  if (report.outcome === "nothing-to-do") lines.push(...report.notes.filter((n) => n.startsWith("nothing to renew")));
  if (report.status) lines.push("", renderExpirationTables(report.status).trimEnd(), "");
  if (report.outcome === "installed" || report.outcome === "partial") {
    if (report.restarted.length > 0) lines.push(`restarted: ${report.restarted.join(", ")}`);
    else lines.push(...describeAdvice(report.restart));
  }
  return lines.join("\n") + "\n";
}

function exitCode(report: RenewReport): number {
  return report.outcome === "failed" || report.outcome === "partial" ? EXIT_FAILURE : EXIT_OK;
}

export function createRenewCommand(deps: RenewCommandDeps = {}): CommandRunner {
  return {
    async run(argv: string[], io: CliIo): Promise<number> {
      const { values } = parseFlags(argv, flags);
      if (values.output !== "text" && values.output !== "json") throw new UsageError(`--output must be text or json, not "${values.output}"`);
      const only = values.only?.flatMap((o) => o.split(",")).map((o) => o.trim()).filter(Boolean);
      const unknown = only?.filter((n) => !findProfile(n)) ?? [];
      if (unknown.length > 0) throw new UsageError(`--only: unknown ${unknown.join(", ")}; known names: ${KNOWN_PROFILE_NAMES.join(", ")}`);
      if (!values.server) throw new UsageError("--server is required");
      const credential = await readCredential(values, deps.now);
      const tlsCa = values["ca-file"] ? await readRequired(values["ca-file"], "--ca-file") : undefined;
      const fileCheckPeriodMs = parseDurationSeconds(values["file-check-period"], "--file-check-period") * 1000;

      let client: SignClient;
      try {
        client = (deps.createClient ?? createSignClient)({ server: values.server, ...credential, ...(tlsCa ? { tlsCa } : {}) });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const progress = (line: string) => io.stderr.write(`kubeca renew: ${line}\n`);
      try {
        const report = await renewNode(
          {
            certDir: values["cert-dir"],
            kubeconfigDir: values["kubeconfig-dir"],
            ...(values["csr-dir"] ? { csrDir: values["csr-dir"] } : {}),
            ...(only ? { only } : {}),
            dryRun: values["dry-run"],
            keepCsr: values["keep-csr"],
            allowPartial: values["allow-partial"],
            ...(values["backup-dir"] ? { backupRoot: values["backup-dir"] } : {}),
            manifestDir: values["manifest-dir"],
            kubeletPkiDir: values["kubelet-pki-dir"],
            ...(values["restart-static-pods"]
              ? { restart: { manifestDir: values["manifest-dir"], fileCheckPeriodMs, sleep: deps.sleep ?? ((ms) => delay(ms)) } }
              : {}),
          },
          { client, now: deps.now ?? (() => new Date()), progress, ...(deps.installHooks ? { installHooks: deps.installHooks } : {}) },
        );
        if (values.output === "json") {
          const { status, ...rest } = report;
          io.stdout.write(JSON.stringify({ ...rest, ...(status ? { status: expirationInfo(status) } : {}) }, null, 2) + "\n");
        } else {
          io.stdout.write(renderText(report));
        }
        return exitCode(report);
      } catch (e) {
        return reportFailure(e, values.output === "json", io);
      }
    },
  };
}

/** Whole-request failures (service unreachable, 401, 503): nothing was installed. */
function reportFailure(e: unknown, json: boolean, io: CliIo): number {
  let message: string;
  let code: number;
  let hint: string | undefined;
  if (e instanceof NodeBusyError) {
    message = busyLine(e);
    io.stderr.write(`kubeca renew: ${message}\n`);
    if (json) io.stdout.write(JSON.stringify({ outcome: "failed", failure: message, items: [] }, null, 2) + "\n");
    return EXIT_BUSY;
  }
  if (e instanceof ServiceUnreachableError) {
    message = e.message;
    code = EXIT_UNAVAILABLE;
  } else if (isKubecaError(e)) {
    message = `${ERRORS[e.code].title}: ${e.detail}`;
    hint = ERRORS[e.code].fix;
    code = EXIT_CODES[e.code];
  } else {
    throw e;
  }
  io.stderr.write(`kubeca renew: ${message}; nothing was installed\n${hint ? `hint: ${hint}\n` : ""}`);
  if (json) io.stdout.write(JSON.stringify({ outcome: "failed", failure: message, items: [] }, null, 2) + "\n");
  return code;
}

export const renewCommand: CommandRunner = createRenewCommand();
