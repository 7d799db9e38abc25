// A CA's signer with each Sign call timed for kubeca_signer_sign_duration_seconds. The leaf issuer
// signs through it; everything else (the start-up key check, readiness, checkpoints, close) keeps
// the signer itself. Failures are counted where issuing fails (pipeline.ts, kubelet/apply.ts).
import type { SignerMetrics } from "../metrics/index.js";
import type { Signer } from "../signers/index.js";

export function timedSigner(ca: string, signer: Signer, metrics: SignerMetrics): Signer {
  return {
    algorithm: signer.algorithm,
    publicKey: signer.publicKey,
    async sign(tbs) {
      const started = performance.now();
      try {
        return await signer.sign(tbs);
      } finally {
        metrics.signDuration(ca, (performance.now() - started) / 1000);
      }
    },
  };
}
