// Which running components read which file, so the client can say what a renewal requires to restart.
// Static pods read their certificates only at start; admin.conf and super-admin.conf are read per use.
import type { ProfileName } from "../kubeadm/index.js";

export type StaticPod = "etcd" | "kube-apiserver" | "kube-controller-manager" | "kube-scheduler";

/** Restart order: etcd first, so the apiserver comes back to a healthy etcd; one at a time. */
export const STATIC_POD_ORDER: readonly StaticPod[] = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

const READERS: Readonly<Partial<Record<ProfileName, StaticPod>>> = {
  apiserver: "kube-apiserver",
  "apiserver-kubelet-client": "kube-apiserver",
  "apiserver-etcd-client": "kube-apiserver",
  "front-proxy-client": "kube-apiserver",
  "etcd/server": "etcd",
  "etcd/peer": "etcd",
  "controller-manager.conf": "kube-controller-manager",
  "scheduler.conf": "kube-scheduler",
};

export interface RestartAdvice {
  readonly staticPods: readonly StaticPod[];
  /** kubelet.conf changed: the kubelet is a systemd service, not a static pod. */
  readonly kubelet: boolean;
}

export function restartAdvice(installed: readonly string[]): RestartAdvice {
  const pods = new Set(installed.map((n) => READERS[n as ProfileName]).filter((p): p is StaticPod => p !== undefined));
  return { staticPods: STATIC_POD_ORDER.filter((p) => pods.has(p)), kubelet: installed.includes("kubelet.conf") };
}

export function describeAdvice(advice: RestartAdvice): string[] {
  const lines: string[] = [];
  if (advice.staticPods.length > 0) {
    lines.push(`restart needed: ${advice.staticPods.join(", ")} (static pods read their certificates only at start)`);
    lines.push("  run kubeca renew --restart-static-pods next time, or move each manifest out of /etc/kubernetes/manifests, wait 20s, and move it back, one at a time");
  }
  if (advice.kubelet) lines.push("restart needed: kubelet (systemctl restart kubelet) for the new kubelet.conf");
  if (lines.length === 0) lines.push("no restart needed");
  return lines;
}
