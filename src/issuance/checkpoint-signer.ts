// Which key signs the audit log's checkpoints: a CA's signer (audit.checkpoint.signer, default ca) or a
// signer of its own. Shared by the signing service and the kubelet signer, so both logs are provable.
import type { CaName, Config } from "../config/index.js";
import { KubecaError } from "../errors/index.js";
import { createSigner, type Signer } from "../signers/index.js";

/** `opened` returns the signer of a CA the caller already holds, so its key is not read twice. */
export async function openCheckpointSigner(config: Config, opened: (name: CaName) => Signer | undefined, dev: boolean): Promise<Signer> {
  const choice = config.audit.checkpoint?.signer ?? "ca";
  if (typeof choice === "string") {
    const held = opened(choice);
    if (held) return held;
    const cfg = config.cas[choice];
    if (!cfg) throw new KubecaError("KUBECA_CONFIG_INVALID", `audit.checkpoint.signer names ${choice}, which is not configured under cas`);
    if (cfg.signer.type === "memory" && !dev) {
      throw new KubecaError("KUBECA_CONFIG_INVALID", `audit.checkpoint.signer names ${choice}, whose memory signer is for development only`);
    }
    return createSigner(cfg.signer);
  }
  if (choice.type === "memory" && !dev) {
    throw new KubecaError("KUBECA_CONFIG_INVALID", "audit.checkpoint.signer: the memory signer is for development only; use aws-kms or a CA name");
  }
  return createSigner(choice);
}
