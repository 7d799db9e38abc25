// `kubeca token create`: a new random bearer token, printed once, and the config entry that holds its
// SHA-256. The token goes to stdout only (so `> cp-1.token` captures it alone); kubeca never writes it
// to the config or a log, and the config keeps only the digest.
import { createHash, randomBytes } from "node:crypto";
import { loadConfigFile } from "../../config/index.js";
import { KubecaError } from "../../errors/index.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_OK } from "../exit-codes.js";
import { parseFlags, UsageError } from "../flags.js";


/** 32 random bytes: as strong as the SHA-256 that stores it. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

export function tokenDigest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

type Entry = { name: string; sha256: string; node: string } | { name: string; sha256: string };

// The label is written into a YAML flow mapping: keep it to characters that need no quoting.
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const tokenCreateCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      node: { type: "string" },
      role: { type: "string", default: "node" },
      name: { type: "string" },
      config: { type: "string" },
      output: { type: "string", default: "text" },
    });
    if (values.output !== "text" && values.output !== "json") throw new UsageError(`--output must be text or json, not ${values.output}`);
    if (values.role !== "node" && values.role !== "auditor" && values.role !== "operator") throw new UsageError(`--role must be node, auditor or operator, not ${values.role}`);
    // Auditors and operators speak for no node.
    const auditor = values.role !== "node";
    if (auditor && values.node !== undefined) throw new UsageError(`--node and --role ${values.role} exclude each other: an ${values.role} token speaks for no node`);
    if (!auditor && !values.node) throw new UsageError("--node NAME is required (or --role auditor|operator --name LABEL)");
    if (auditor && !values.name) throw new UsageError(`--role ${values.role} needs --name LABEL, e.g. --name ${values.role === "auditor" ? "security-team" : "platform-team"}`);
    const name = values.name ?? `${values.node}-renewer`;
    if (!LABEL.test(name)) throw new UsageError(`--name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-' (at most 63)`);
    const section = values.role === "operator" ? "callers.operators" : auditor ? "callers.auditors" : "callers.tokens";

    if (values.config) {
      const { config } = await loadConfigFile(values.config);
      if (!auditor && !config.nodes.some((n) => n.name === values.node)) {
        throw new KubecaError("KUBECA_CONFIG_INVALID", `${values.config} lists no node named ${values.node} under nodes; a token is bound to a listed node`);
      }
      const used = [...config.callers.tokens, ...config.callers.auditors, ...config.callers.operators].find((c) => c.name === name);
      if (used) throw new KubecaError("KUBECA_CONFIG_INVALID", `${values.config} already has a token named ${name}; pick another --name, or replace that entry's sha256 to rotate it`);
    }

    const token = newToken();
    const sha256 = tokenDigest(token);
    const entry: Entry = auditor ? { name, sha256 } : { name, sha256, node: values.node! };
    const line = `- { ${Object.entries(entry).map(([k, v]) => `${k}: ${v}`).join(", ")} }`;
    if (values.output === "json") {
      io.stdout.write(JSON.stringify({ token, sha256, section, entry, line }, null, 2) + "\n");
    } else {
      io.stdout.write(token + "\n");
      io.stderr.write(`The token above is shown once; kubeca keeps only its SHA-256. Add under ${section}:\n  ${line}\n`);
    }
    return EXIT_OK;
  },
};
