// A PKCS#11 module (the vendor's .so) loaded once per process and path, and what every user of it
// needs: the token's slot by label or serial, the PIN from its source, and the login.
// pkcs11js (a native addon) is loaded by a dynamic import, so nothing that does not use an HSM pays
// for it and bundles can leave it out (Lambda cannot load PKCS#11 modules at all).
import { readFile } from "node:fs/promises";
import type { PKCS11 } from "pkcs11js";
import type { Pkcs11SignerConfig } from "../config/index.js";
import { SignerError } from "./signer-error.js";
import { KubecaError, isKubecaError } from "../errors/index.js";
import { ckrName, pkcs11Error } from "./pkcs11-errors.js";

export type Pkcs11Api = typeof import("pkcs11js");

export interface Pkcs11Module {
  readonly api: Pkcs11Api;
  readonly lib: PKCS11;
  readonly path: string;
  /** Every user releases the module once; the last one finalizes it. */
  release(): void;
}

interface Entry {
  readonly opened: Promise<{ api: Pkcs11Api; lib: PKCS11 }>;
  users: number;
}

// C_Initialize may run once per module per process, and login state is shared by all sessions of
// the process, so every signer on the same module shares one entry.
const modules = new Map<string, Entry>();

async function importAddon(): Promise<Pkcs11Api> {
  try {
    const imported = (await import("pkcs11js")) as Pkcs11Api & { default?: Pkcs11Api };
    return imported.default ?? imported;
  } catch (cause) {
    throw new KubecaError(
      "KUBECA_SIGNER_MISCONFIGURED",
      "the pkcs11 signer needs the pkcs11js native addon, which cannot be loaded here: it is an optional dependency, left out when npm could not build it (no make/g++ at install) and never inside the single executable or on Lambda; run kubeca from the container image, or npm install it where a compiler is present",
      { cause },
    );
  }
}

async function initialize(path: string): Promise<{ api: Pkcs11Api; lib: PKCS11 }> {
  const api = await importAddon();
  const lib = new api.PKCS11();
  try {
    lib.load(path);
  } catch (cause) {
    throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `cannot load the PKCS#11 module ${path}; check the signer's module path and that the vendor's library is installed`, {
      cause,
    });
  }
  try {
    // The module does its own locking: signatures run on Node's thread pool, several at once.
    lib.C_Initialize({ flags: api.CKF_OS_LOCKING_OK });
  } catch (e) {
    if (ckrName(e) !== "CKR_CRYPTOKI_ALREADY_INITIALIZED") {
      lib.close();
      throw pkcs11Error(e, { where: `module ${path}`, operation: "C_Initialize", phase: "start" });
    }
  }
  return { api, lib };
}

/** Loads and initialises `path`, or shares the copy another signer already opened. */
export async function openPkcs11Module(path: string): Promise<Pkcs11Module> {
  let entry = modules.get(path);
  if (!entry) {
    entry = { opened: initialize(path), users: 0 };
    modules.set(path, entry);
    entry.opened.catch(() => modules.delete(path));
  }
  entry.users++;
  let opened: { api: Pkcs11Api; lib: PKCS11 };
  try {
    opened = await entry.opened;
  } catch (e) {
    entry.users--;
    throw e;
  }
  let released = false;
  const held = entry;
  return {
    ...opened,
    path,
    release(): void {
      if (released) return;
      released = true;
      held.users--;
      if (held.users > 0 || modules.get(path) !== held) return;
      modules.delete(path);
      try {
        opened.lib.C_Finalize();
      } catch {
        // Finalizing a module whose token vanished can fail; nothing is left to clean up in it.
      }
      opened.lib.close();
    },
  };
}

export type TokenRef = Pkcs11SignerConfig["token"];

export function describeToken(token: TokenRef): string {
  return "label" in token ? `token label ${token.label}` : `token serial ${token.serial}`;
}

/**
 * The slot holding the initialised token named by label or serial. Slot numbers are never
 * configuration: they change as tokens come and go. Two tokens with one label are refused.
 */
export function findTokenSlot(module: Pkcs11Module, token: TokenRef, phase: "start" | "serving"): Buffer {
  const { api, lib } = module;
  const where = describeToken(token);
  const seen: string[] = [];
  const matches: Buffer[] = [];
  try {
    for (const slot of lib.C_GetSlotList(true)) {
      const info = lib.C_GetTokenInfo(slot);
      if ((info.flags & api.CKF_TOKEN_INITIALIZED) === 0) continue;
      const label = info.label.trimEnd();
      const serial = info.serialNumber.trimEnd();
      seen.push(`${label} (serial ${serial})`);
      if ("label" in token ? label === token.label : serial === token.serial) matches.push(slot);
    }
  } catch (e) {
    throw pkcs11Error(e, { where, operation: "C_GetSlotList", phase: "serving" });
  }
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `PKCS#11 ${where}: ${matches.length} tokens carry this label; name the token by serial instead`);
  }
  const detail = `PKCS#11 ${where}: no such token in ${module.path} (tokens present: ${seen.length ? seen.join(", ") : "none"})`;
  if (phase === "start") throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `${detail}; check the token label or serial`);
  throw new SignerError("KUBECA_SIGNER_UNAVAILABLE", "key-not-found", `${detail}; the token may have been removed; retry in 5s`, { retryAfter: 5 });
}

export type PinSource = Pkcs11SignerConfig["pin"];

/** The user PIN from its environment variable or file. Messages name the source, never the PIN. */
export async function readPin(source: PinSource, env: NodeJS.ProcessEnv): Promise<string> {
  if ("env" in source) {
    const pin = env[source.env];
    if (pin === undefined || pin === "") {
      throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `the PKCS#11 PIN variable ${source.env} is not set; set it in kubeca's environment`);
    }
    return pin;
  }
  let text: string;
  try {
    text = await readFile(source.file, "utf8");
  } catch (e) {
    throw new KubecaError(
      "KUBECA_SIGNER_MISCONFIGURED",
      `cannot read the PKCS#11 PIN file ${source.file} (${(e as NodeJS.ErrnoException).code ?? "error"}); check the path and that kubeca may read it`,
      { cause: e },
    );
  }
  const pin = text.split(/\r?\n/, 1)[0] ?? "";
  if (pin === "") throw new KubecaError("KUBECA_SIGNER_MISCONFIGURED", `the PKCS#11 PIN file ${source.file} is empty; write the PIN on its first line`);
  return pin;
}

/** Opens a session on `slot` and logs the user in (already logged in by another session is fine). */
export function openUserSession(module: Pkcs11Module, slot: Buffer, pin: string, rw = false): Buffer {
  const { api, lib } = module;
  const session = lib.C_OpenSession(slot, api.CKF_SERIAL_SESSION | (rw ? api.CKF_RW_SESSION : 0));
  try {
    lib.C_Login(session, api.CKU_USER, pin);
  } catch (e) {
    if (ckrName(e) !== "CKR_USER_ALREADY_LOGGED_IN") {
      closeQuietly(module, session);
      throw e;
    }
  }
  return session;
}

export function closeQuietly(module: Pkcs11Module, session: Buffer): void {
  try {
    module.lib.C_CloseSession(session);
  } catch {
    // A session on a removed token is gone already.
  }
}

/** Wraps a raw pkcs11js failure, keeping KubecaErrors as they are. */
export function asKubecaError(e: unknown, where: string, operation: string, phase: "start" | "serving"): KubecaError {
  return isKubecaError(e) ? e : pkcs11Error(e, { where, operation, phase });
}
