// `kubeca ca keygen --pkcs11`: makes a CA key pair inside an HSM token and prints the signer config
// that names it, for `kubeca ca init` and `kubeca serve`.
import { stringify } from "yaml";
import { KeyAlgorithmName, Pkcs11SignerConfig } from "../../config/index.js";
import { spkiFingerprint } from "../../signers/index.js";
import { generatePkcs11KeyPair } from "../../signers/pkcs11-keygen.js";
import type { CliIo, CommandRunner } from "../command.js";
import { EXIT_OK } from "../exit-codes.js";
import { parseFlags, UsageError } from "../flags.js";


export const caKeygenCommand: CommandRunner = {
  async run(argv: string[], io: CliIo): Promise<number> {
    const { values } = parseFlags(argv, {
      pkcs11: { type: "boolean", default: false },
      module: { type: "string" },
      "token-label": { type: "string" },
      "token-serial": { type: "string" },
      "pin-env": { type: "string" },
      "pin-file": { type: "string" },
      label: { type: "string" },
      id: { type: "string" },
      algorithm: { type: "string", default: "ECDSA-P256" },
      output: { type: "string", default: "text" },
    });
    if (!values.pkcs11) throw new UsageError("--pkcs11 is required: keygen makes keys in PKCS#11 tokens (for KMS keys use aws kms create-key)");
    if (values.output !== "text" && values.output !== "json") throw new UsageError(`--output must be text or json, not ${values.output}`);
    if ((values["token-label"] === undefined) === (values["token-serial"] === undefined)) throw new UsageError("give exactly one of --token-label and --token-serial");
    if ((values["pin-env"] === undefined) === (values["pin-file"] === undefined)) throw new UsageError("give exactly one of --pin-env and --pin-file");
    if (!values.label) throw new UsageError("--label is required: the signer config finds the key by it");
    const algorithm = KeyAlgorithmName.safeParse(values.algorithm);
    if (!algorithm.success) throw new UsageError(`--algorithm must be one of ${KeyAlgorithmName.options.join(", ")}, not ${values.algorithm}`);

    // The signer config this key will live in, checked by the config schema itself.
    const parsed = Pkcs11SignerConfig.safeParse({
      type: "pkcs11",
      module: values.module,
      token: values["token-label"] !== undefined ? { label: values["token-label"] } : { serial: values["token-serial"] },
      key: { label: values.label, ...(values.id !== undefined ? { id: values.id.toLowerCase() } : {}) },
      pin: values["pin-env"] !== undefined ? { env: values["pin-env"] } : { file: values["pin-file"] },
    });
    if (!parsed.success) {
      const flagOf: Record<string, string> = { module: "--module", token: "--token-label/--token-serial", key: "--label/--id", pin: "--pin-env/--pin-file" };
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`${flagOf[String(issue.path[0])] ?? String(issue.path[0])}: ${issue.message}`);
    }
    const cfg = parsed.data;
    const key = await generatePkcs11KeyPair({ module: cfg.module, token: cfg.token, pin: cfg.pin, label: values.label, id: cfg.key.id, algorithm: algorithm.data, env: io.env });
    const signer = {
      type: "pkcs11",
      module: cfg.module,
      token: cfg.token,
      key: { label: key.label, id: key.idHex },
      pin: cfg.pin,
      ...(key.keySpec.startsWith("RSA") ? { rsaPadding: "pkcs1" } : {}),
    };
    const fingerprint = spkiFingerprint(key.publicKey);
    if (values.output === "json") {
      io.stdout.write(JSON.stringify({ label: key.label, id: key.idHex, keySpec: key.keySpec, publicKeySha256: fingerprint, signer }, null, 2) + "\n");
      return EXIT_OK;
    }
    io.stdout.write(
      [
        `created ${algorithm.data} key pair label ${key.label}, id ${key.idHex} (private key sensitive, not extractable, sign only)`,
        `public key ${fingerprint}`,
        "",
        "signer config (under cas.<name>):",
        stringify({ signer }, { indent: 2 }).trimEnd().replace(/^/gm, "  "),
        "",
      ].join("\n"),
    );
    return EXIT_OK;
  },
};
