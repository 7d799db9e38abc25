// `kubeca kubelet-signer --help`.

export const kubeletSignerHelp = `Usage: kubeca kubelet-signer --config FILE [--kubeconfig FILE] [flags]

Approves and signs kubelet serving CSRs (kubernetes.io/kubelet-serving) after checking every name and
IP against the Node, and signs node client CSRs (kubernetes.io/kube-apiserver-client-kubelet) that
kube-controller-manager approved. Runs until SIGTERM; with several replicas only the holder of the
Lease (kubeletSigner.leaderElection) writes.

Flags:
  --config FILE       the kubeca config (YAML); the kubeletSigner section tunes this command
  --kubeconfig FILE   talk to the cluster with this kubeconfig (default: in-cluster service account,
                      else $KUBECONFIG or ~/.kube/config)
  --health-port PORT  serve /healthz, /readyz and /metrics (Prometheus, docs/metrics.md; no
                      credentials asked) on this port (default 8080; 0 picks a free one)
  --once              one reconcile pass (list, decide, sign), then exit; as the Lambda sweep does
  --debug             log every skipped CSR too
  -h, --help          show this help

Exit codes: 0 stopped cleanly (or --once finished with no CSR left over), 3 --once left CSRs for
the next pass because the apiserver, KMS or audit store failed.
`;
