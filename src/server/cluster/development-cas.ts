// Development CAs under `kubeca serve --dev --workers N`: every worker must sign with the same CA key,
// and that key may never be written anywhere. The primary generates each memory signer's key, mints
// the CA certificate with it, and hands the key (PKCS#8 DER) with the certificate to each worker in
// its start message over node:cluster's IPC channel: an anonymous socket pair inherited by the child,
// with no path in the file system, readable only by these processes. The key then lives in the
// memory of processes of the same user, as it did in the one process before. Only --dev allows a
// memory signer at all.
import { createPrivateKey } from "node:crypto";
import type { CaName, Config } from "../../config/index.js";
import { CaName as CaNames } from "../../config/index.js";
import type { CaRotations } from "../../issuance/ca-rotation.js";
import type { DevelopmentCa } from "../../issuance/issuing-ca.js";
import { generateMemoryKey } from "../../signers/index.js";
import type { WorkerStart } from "./protocol.js";

/** Where a CA sits in the config (`cas.ca`, `cas.ca.next`): the key the development map is read by. */
type ConfigPath = string;

/** A new key for each CA (current or next) whose signer is memory; the primary's service mints their certificates. */
export function generateDevelopmentKeys(config: Config): Map<ConfigPath, DevelopmentCa> {
  const keys = new Map<ConfigPath, DevelopmentCa>();
  for (const name of CaNames.options) {
    const cfg = config.cas[name];
    if (cfg?.signer.type === "memory") keys.set(`cas.${name}`, { key: generateMemoryKey(cfg.signer.algorithm) });
    if (cfg?.next?.signer.type === "memory") keys.set(`cas.${name}.next`, { key: generateMemoryKey(cfg.next.signer.algorithm) });
  }
  return keys;
}

/** What a worker gets: each key with the certificate the primary minted for it. */
export function developmentCasForWorkers(keys: ReadonlyMap<ConfigPath, DevelopmentCa>, rotations: CaRotations): WorkerStart["development"] {
  return [...keys].map(([at, { key }]) => {
    const [, name, next] = at.split(".") as [string, CaName, string | undefined];
    const pair = rotations.pair(name);
    const ca = next ? pair?.next : pair?.current;
    if (!ca) throw new Error(`development CA ${at} was not opened`);
    return { at, pkcs8: key.export({ format: "der", type: "pkcs8" }).toString("base64"), certificate: Buffer.from(ca.info.der).toString("base64") };
  });
}

export function developmentCasFromPrimary(list: WorkerStart["development"]): Map<ConfigPath, DevelopmentCa> {
  return new Map(
    list.map(
      ({ at, pkcs8, certificate }) =>
        [at, { key: createPrivateKey({ key: Buffer.from(pkcs8, "base64"), format: "der", type: "pkcs8" }), certificate: new Uint8Array(Buffer.from(certificate, "base64")) }] as const,
    ),
  );
}
