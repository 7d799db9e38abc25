// Builds what the controller and the sweep need from a loaded config: the compiled policy, the CAs
// they sign with (`ca` for node client certificates, kubeletSigner.servingCa for serving ones), and
// the audit log. Shared by `kubeca kubelet-signer` and the Lambda sweep so both start the same way.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { createAuditLog } from "../audit/index.js";
import type { AuditLog } from "../audit/types.js";
import type { CaName, LoadedConfig } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import { openIssuingCa } from "../issuance/issuing-ca.js";
import type { KubeletCa, KubeletCaLookup } from "./kubelet-ca.js";
import { compileKubeletPolicy, type KubeletPolicy } from "./kubelet-policy.js";

export interface KubeletSignerParts {
  readonly policy: KubeletPolicy;
  readonly cas: KubeletCaLookup;
  readonly audit: AuditLog;
  close(): Promise<void>;
}

export async function openKubeletSigner(loaded: LoadedConfig, options: { now: () => Date }): Promise<KubeletSignerParts> {
  const { config, baseDir } = loaded;
  const policy = compileKubeletPolicy(config);
  const names = [...new Set<CaName>(["ca", policy.servingCa])];
  const opened: KubeletCa[] = [];
  for (const name of names) {
    const cfg = config.cas[name];
    if (!cfg) {
      throw new KubecaError("KUBECA_CONFIG_INVALID", `kubeletSigner.servingCa is ${name}, but cas.${name} is not configured`);
    }
    // Production only: memory signers are refused here, as a kubelet CA must outlive the process.
    opened.push(await openIssuingCa(name, cfg, baseDir, { dev: false, now: options.now }));
  }
  const audit = createAuditLog(config.audit, baseDir);
  return {
    policy,
    cas: (name) => opened.find((c) => c.name === name),
    audit,
    async close() {
      const closable = audit as Partial<{ close(): Promise<void> }>;
      if (typeof closable.close === "function") await closable.close();
    },
  };
}

/** spec.holderIdentity: the pod name (HOSTNAME in a pod) plus a suffix, unique per process. */
export function replicaIdentity(env: NodeJS.ProcessEnv): string {
  return `${env.POD_NAME ?? env.HOSTNAME ?? hostname()}_${randomBytes(4).toString("hex")}`;
}
