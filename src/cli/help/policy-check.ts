// `kubeca policy check --help`.

export const policyCheckHelp = `Usage: kubeca policy check FILE [--output text|json]

Validates the kubeca config FILE the way the service does at start (every bad field named by its path)
and prints, for every node under nodes and every node group:
  - each kubeadm file it may receive, with issuing CA, extended key usage and the exact subject;
  - for apiserver, etcd/server and etcd/peer, the exact required and allowed DNS and IP SANs
    (for a node group, <node> stands for the member's name, plus its allowed CIDRs and DNS suffixes).
Nothing is contacted: no KMS, no audit store, no CA certificate files.

Flags:
  --output text|json  json: { valid, cluster, nodes, nodeGroups }, or { valid: false, errors: [{ path, message }] }
  -h, --help          show this help

Exit codes: 0 the config is valid; 2 it is not (or the command line is wrong).
`;
