// Builds what the controller and the sweep need from a loaded config: the compiled policy, the CAs
// they sign with (`ca` for node client certificates, kubeletSigner.servingCa for serving ones), the
// address source (the Node's status, or cross-checked with EC2), and the audit log. Shared by
// `kubeca kubelet-signer` and the Lambda sweep so both start the same way.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { createAuditLog, startLiveInventory, type InventoryRow, type LiveInventory } from "../audit/index.js";
import type { CaName, KubeletAddressSourceConfig, LoadedConfig } from "../config/index.js";
import { isKubecaError, KubecaError } from "../errors/index.js";
import { openCheckpointSigner } from "../issuance/checkpoint-signer.js";
import { CaRotations, type CaPair } from "../issuance/ca-rotation.js";
import { openIssuingCa, type IssuingCa } from "../issuance/issuing-ca.js";
import { openRotationStore, type RotationStore } from "../issuance/rotation-store.js";
import { observedAuditLog } from "../issuance/observed-audit-log.js";
import { NO_METRICS, type KubeletMetrics } from "../metrics/index.js";
import { auditSignerWarnings } from "../issuance/signer-warnings.js";
import { recordSignerMismatch } from "../issuance/signer-mismatch.js";
import { randomSerial } from "../pki/index.js";
import { crossCheckedAddressSource, nodeStatusAddressSource, type AddressSource } from "./address-source.js";
import type { Ec2InventoryOptions } from "./ec2-inventory.js";
import { compileKubeletPolicy } from "./kubelet-policy.js";
import type { KubeletSigning } from "./signing-deps.js";

export interface KubeletSignerParts {
  /** One object, so a setting added here reaches both the controller and the sweep. */
  readonly signing: KubeletSigning & { readonly addressSource: AddressSource };
  /** The CAs it signs with (their certificates' expiry for the metrics). */
  readonly cas: readonly IssuingCa[];
  /** With `fleet`: the latest certificate per node and file, from this signer's audit log. */
  readonly fleet: LiveInventory | undefined;
  close(): Promise<void>;
}

export interface OpenKubeletSignerOptions {
  readonly now: () => Date;
  /** Replace the rotation state store (tests share the service's). */
  readonly rotationStore?: RotationStore;
  /** Client settings for the EC2 address source (tests pass credentials). */
  readonly ec2?: Omit<Ec2InventoryOptions, "now">;
  /** Where signing, audit appends and decisions are counted. */
  readonly metrics?: KubeletMetrics;
  /** Keep a fleet inventory from the audit log (read once, then fed by every append), telling `onChange` each new row: the long-running signer's gauges. */
  readonly fleet?: { readonly onChange: (row: InventoryRow) => void; readonly onRemove: (row: InventoryRow) => void };
}

export async function openKubeletSigner(loaded: LoadedConfig, options: OpenKubeletSignerOptions): Promise<KubeletSignerParts> {
  const { config, baseDir } = loaded;
  const policy = compileKubeletPolicy(config);
  const names = [...new Set<CaName>(["ca", policy.servingCa])];
  const opened: IssuingCa[] = [];
  const pairs = new Map<CaName, CaPair>();
  for (const name of names) {
    const cfg = config.cas[name];
    if (!cfg) {
      throw new KubecaError("KUBECA_CONFIG_INVALID", `kubeletSigner.servingCa is ${name}, but cas.${name} is not configured`);
    }
    // Production only: memory signers are refused here, as a kubelet CA must outlive the process.
    try {
      const openOptions = { dev: false, now: options.now, ...(options.metrics ? { metrics: options.metrics } : {}) };
      const current = await openIssuingCa(name, cfg, baseDir, openOptions);
      const next = cfg.next ? await openIssuingCa(name, cfg.next, baseDir, openOptions, `cas.${name}.next`) : undefined;
      opened.push(current, ...(next ? [next] : []));
      pairs.set(name, { current, next });
    } catch (e) {
      if (isKubecaError(e) && e.code === "KUBECA_SIGNER_KEY_MISMATCH") {
        await recordSignerMismatch(e, { config, baseDir, component: "kubeca kubelet-signer" }, (message) => process.emitWarning(message, "KubecaAuditWarning"));
      }
      throw e;
    }
  }
  // The phase from the store the service writes (next to the audit log), so both follow one rotation.
  const rotationStore = options.rotationStore ?? (await openRotationStore(config.audit, baseDir));
  const rotations = new CaRotations(pairs, { store: rotationStore, refreshSeconds: config.rotation.refreshSeconds, now: options.now });
  await rotations.load();
  const source = await openAddressSource(config.kubeletSigner?.addressSource ?? { type: "node-status" }, options.ec2);
  // Checkpoints as the signing service signs them, so this log is provable too.
  const checkpointSigner = await openCheckpointSigner(config, (name) => opened.find((c) => c.name === name)?.signer, false);
  const store = await createAuditLog(config.audit, baseDir, { checkpointSigner });
  const fleet = options.fleet
    ? startLiveInventory(store, { onWarning: (message) => process.emitWarning(message, "KubecaMetricsWarning"), onChange: options.fleet.onChange, onRemove: options.fleet.onRemove })
    : undefined;
  const audit = options.metrics || fleet ? observedAuditLog(store, options.metrics ?? NO_METRICS, fleet?.observe) : store;
  await auditSignerWarnings(audit, opened);
  return {
    signing: Object.freeze({
      policy,
      cas: async (name: CaName) => (await rotations.view(name))?.signing,
      audit,
      addressSource: source.addressSource,
      serial: randomSerial,
      now: options.now,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    }),
    cas: [...pairs.values()].map((p) => p.current),
    fleet,
    async close() {
      fleet?.close();
      source.close();
      rotationStore.close();
      await store.close();
    },
  };
}

/** The Node's own status by default; with `ec2`, only what both the status and EC2 vouch for. */
export async function openAddressSource(
  config: KubeletAddressSourceConfig,
  ec2Options: Omit<Ec2InventoryOptions, "now"> = {},
): Promise<{ addressSource: AddressSource; close(): void }> {
  if (config.type === "node-status") return { addressSource: nodeStatusAddressSource, close: () => {} };
  // Loaded only when configured: the EC2 client adds about a quarter second to every start.
  const { openEc2Inventory } = await import("./ec2-inventory.js");
  const inventory = await openEc2Inventory(config, ec2Options);
  return { addressSource: crossCheckedAddressSource(nodeStatusAddressSource, inventory), close: () => inventory.close() };
}

/** spec.holderIdentity: the pod name (HOSTNAME in a pod) plus a suffix, unique per process. */
export function replicaIdentity(env: NodeJS.ProcessEnv): string {
  return `${env.POD_NAME ?? env.HOSTNAME ?? hostname()}_${randomBytes(4).toString("hex")}`;
}
