// What other layers (cli/, lambda/) use from the kubelet signer. No side effects.
export { createKubeletController, type KubeletController, type KubeletControllerDeps } from "./controller.js";
export { runSweep, type SweepDeps, type SweepSummary } from "./sweep.js";
export {
  openKubeletSigner,
  openAddressSource,
  replicaIdentity,
  type KubeletSignerParts,
  type OpenKubeletSignerOptions,
} from "./open-kubelet-signer.js";
export { compileKubeletPolicy, type KubeletPolicy } from "./kubelet-policy.js";
export { decide, settledReason, cappedValidity } from "./decide.js";
export type { Decision } from "./decision.js";
export type { Facts } from "./facts.js";
export { Reasons, type Reason, KUBELET_SERVING_SIGNER, KUBELET_CLIENT_SIGNER } from "./reasons.js";
export {
  nodeStatusAddressSource,
  crossCheckedAddressSource,
  type AddressSource,
  type CloudInventory,
  type NodeAddresses,
} from "./address-source.js";
export {
  openEc2Inventory,
  parseAwsProviderId,
  Ec2InventoryUnavailableError,
  type Ec2Inventory,
  type Ec2InventoryConfig,
  type Ec2InventoryOptions,
} from "./ec2-inventory.js";
export type { KubeletCa, KubeletCaLookup } from "./kubelet-ca.js";
export { jsonLinesLog, silentLog, type KubeletLog } from "./kubelet-log.js";
export { startHealthServer } from "./health-server.js";
