// The documented way to restart a static pod (kubeadm certs renew docs): move its manifest out of the
// kubelet's manifest folder, wait until the kubelet has stopped the pod (or its file-check period has
// passed), move it back, and wait again, one component at a time so the control plane never loses two.
import { mkdir, rename, access } from "node:fs/promises";
import { join } from "node:path";
import type { StaticPod } from "./restart-plan.js";

export interface StaticPodRestartOptions {
  /** The kubelet's staticPodPath, default /etc/kubernetes/manifests. */
  readonly manifestDir: string;
  /** Where manifests wait while out; outside manifestDir, on the same filesystem. */
  readonly holdDir: string;
  /** The kubelet's fileCheckFrequency (default 20s): how long until it notices a manifest change. */
  readonly fileCheckPeriodMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Optional probe: true once the pod is gone (or, after moving back, running); time alone otherwise. */
  readonly podGone?: (pod: StaticPod) => Promise<boolean>;
  readonly podRunning?: (pod: StaticPod) => Promise<boolean>;
  readonly log: (line: string) => void;
}

const POLL_MS = 1000;

async function waitFor(options: StaticPodRestartOptions, probe: (() => Promise<boolean>) | undefined): Promise<void> {
  if (!probe) return options.sleep(options.fileCheckPeriodMs);
  // With a probe, stop early once it says so, but never wait longer than three check periods.
  for (let waited = 0; waited < options.fileCheckPeriodMs * 3; waited += POLL_MS) {
    if (await probe()) return;
    await options.sleep(POLL_MS);
  }
}

export async function restartStaticPods(pods: readonly StaticPod[], options: StaticPodRestartOptions): Promise<StaticPod[]> {
  const restarted: StaticPod[] = [];
  await mkdir(options.holdDir, { recursive: true, mode: 0o700 });
  for (const pod of pods) {
    const manifest = join(options.manifestDir, `${pod}.yaml`);
    const held = join(options.holdDir, `${pod}.yaml`);
    const present = await access(manifest).then(
      () => true,
      () => false,
    );
    if (!present) {
      options.log(`${pod}: no manifest at ${manifest}, not restarted`);
      continue;
    }
    options.log(`${pod}: moving ${manifest} out`);
    await rename(manifest, held);
    try {
      await waitFor(options, options.podGone && (() => options.podGone!(pod)));
    } finally {
      // Whatever happened while waiting, the manifest goes back: a control plane without it is down.
      try {
        await rename(held, manifest);
      } catch (e) {
        throw new Error(`${pod}: could not move ${held} back to ${manifest} (${(e as Error).message}); move it back by hand now`, { cause: e });
      }
    }
    options.log(`${pod}: manifest back, waiting for the kubelet to start it`);
    await waitFor(options, options.podRunning && (() => options.podRunning!(pod)));
    restarted.push(pod);
  }
  return restarted;
}
