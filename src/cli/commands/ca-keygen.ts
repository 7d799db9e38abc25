// `kubeca ca keygen --pkcs11`: makes a CA key pair inside an HSM token and prints the signer config
// that names it, for `kubeca ca init` and `kubeca serve`.
import { stringify } from "yaml";
import { KeyAlgorithmName, Pkcs11SignerConfig } from "../../config/index.js";
import { generatePkcs11KeyPair, spkiFingerprint } from "../../signers/index.js";
import type { CliCommand, CliIo } from "../command.js";
import { EXIT_OK } from "../exit-codes.js";
import { parseFlags, UsageError } from "../flags.js";

const help = `Usage: kubeca ca keygen --pkcs11 --module PATH (--token-label L | --token-serial S)
                        (--pin-env VAR | --pin-file FILE) --label LABEL [--id HEX]
                        [--algorithm ECDSA-P256] [--output text|json]

Creates a CA key pair inside a PKCS#11 token (an HSM, a YubiHSM, SoftHSM for tests): the private key
is sensitive, not extractable, and may only sign. Prints the signer config that names it; put it
under cas.<name>.signer, then run kubeca ca init. The PIN is read from the variable or file, never
from the command line.

Flags:
  --pkcs11            make the key in a PKCS#11 token (the only key store keygen serves; make
                      KMS keys with aws kms create-key)
  --module PATH       the vendor's PKCS#11 library (absolute path)
  --token-label L     the token, by label
  --token-serial S    the token, by serial number (when labels repeat)
  --pin-env VAR       environment variable holding the user PIN
  --pin-file FILE     file whose first line is the user PIN (absolute path)
  --label LABEL       CKA_LABEL of the new key pair; no other key may carry it
  --id HEX            CKA_ID of the new key pair (default: 8 random bytes)
  --algorithm ALG     ECDSA-P256 (default), ECDSA-P384, RSA-2048, RSA-3072 or RSA-4096
  --output FORMAT     text (default) or json
  -h, --help          show this help
`;

export const caKeygenCommand: CliCommand = {
  path: ["ca", "keygen"],
  summary: "create a CA key pair inside a PKCS#11 token and print its signer config",
  help,
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
