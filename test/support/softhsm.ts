// A SoftHSM2 token of the test's own: a fresh temporary directory, its softhsm2.conf named by
// SOFTHSM2_CONF (read by the module when it is initialised), a token made with softhsm2-util.
// Tests in other processes each have their own directory, so they run in parallel sharing nothing.
// Signers must be closed before the next token is made: the module reads SOFTHSM2_CONF only when
// the last user has finalised it and the next one initialises it.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";
export const USER_PIN = "5678-user";
const SO_PIN = "1234-security-officer";

export interface TestToken {
  readonly dir: string;
  readonly tokensDir: string;
  readonly label: string;
  readonly serial: string;
  readonly pin: string;
  /** Deletes the token directory (a removed token, as far as the module can tell). */
  removeTokenFiles(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Makes a token labelled `label` in a new directory and points SOFTHSM2_CONF at it. */
export async function createTestToken(label = "kubeca-test"): Promise<TestToken> {
  const dir = await mkdtemp(join(tmpdir(), "kubeca-softhsm-"));
  const tokensDir = join(dir, "tokens");
  const conf = join(dir, "softhsm2.conf");
  await run("mkdir", [tokensDir]);
  await writeFile(conf, `directories.tokendir = ${tokensDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  await run("softhsm2-util", ["--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", USER_PIN], { env });
  const { stdout } = await run("softhsm2-util", ["--show-slots"], { env });
  const serial = serialOf(stdout, label);
  return {
    dir,
    tokensDir,
    label,
    serial,
    pin: USER_PIN,
    removeTokenFiles: () => rm(tokensDir, { recursive: true, force: true }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

function serialOf(showSlots: string, label: string): string {
  // Blocks per slot: "Token info: ... Label: <label> ... Serial number: <serial>"
  for (const block of showSlots.split(/\n(?=Slot )/)) {
    const l = /Label:\s+(.*)/.exec(block)?.[1]?.trim();
    const s = /Serial number:\s+(\S+)/.exec(block)?.[1];
    if (l === label && s) return s;
  }
  throw new Error(`softhsm2-util --show-slots lists no token labelled ${label}:\n${showSlots}`);
}

/** A pkcs11 signer config for `token` (PIN from the KUBECA_TEST_PIN variable, which this sets). */
export function pkcs11SignerConfig(token: TestToken, key: { label?: string; id?: string }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  process.env.KUBECA_TEST_PIN = token.pin;
  return { type: "pkcs11", module: SOFTHSM_MODULE, token: { label: token.label }, key, pin: { env: "KUBECA_TEST_PIN" }, ...extra };
}

/**
 * An EC P-256 key pair made directly through the module, with the attributes the test asks for:
 * the way a careless tool makes keys, which kubeca ca keygen never does.
 */
export async function generateRawKeyPair(token: TestToken, label: string, privateAttributes: { extractable: boolean; sensitive: boolean }): Promise<void> {
  const { openPkcs11Module, findTokenSlot, openUserSession, closeQuietly } = await import("../../src/signers/pkcs11-module.js");
  const module = await openPkcs11Module(SOFTHSM_MODULE);
  const { api, lib } = module;
  const session = openUserSession(module, findTokenSlot(module, { label: token.label }, "start"), token.pin, true);
  try {
    const id = Buffer.from(label);
    lib.C_GenerateKeyPair(
      session,
      { mechanism: api.CKM_EC_KEY_PAIR_GEN },
      [
        { type: api.CKA_TOKEN, value: true },
        { type: api.CKA_LABEL, value: label },
        { type: api.CKA_ID, value: id },
        { type: api.CKA_VERIFY, value: true },
        { type: api.CKA_EC_PARAMS, value: Buffer.from("06082a8648ce3d030107", "hex") },
      ],
      [
        { type: api.CKA_TOKEN, value: true },
        { type: api.CKA_PRIVATE, value: true },
        { type: api.CKA_LABEL, value: label },
        { type: api.CKA_ID, value: id },
        { type: api.CKA_SIGN, value: true },
        { type: api.CKA_EXTRACTABLE, value: privateAttributes.extractable },
        { type: api.CKA_SENSITIVE, value: privateAttributes.sensitive },
      ],
    );
  } finally {
    closeQuietly(module, session);
    module.release();
  }
}
