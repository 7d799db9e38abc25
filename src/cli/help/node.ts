// `kubeca node <subcommand> --help`.

export const nodeRetireHelp = `Usage: kubeca node retire NAME --reason TEXT --server URL --token-file FILE [--output text|json] [--ca-file FILE]

Retires node NAME, gone from the cluster: the service records node-retired (who, and the reason) in
the audit log, and from then on the node's certificates are out of kubeca audit inventory and the
kubeca_node_certificate_expiry_timestamp_seconds gauges of kubeca serve, so a node that will never
renew stops making the expiry alert fire. A certificate issued to NAME after the retirement brings
the node back (a node re-added to the cluster).

Refused, and the refusal audited, when NAME is still listed under nodes: in the config (remove it
from the config and restart or redeploy the service first: the service would still sign for it),
when no certificate issued to NAME is in the audit log (check the name against kubeca audit
inventory), or when NAME was retired already and issued nothing since.

Flags:
  --reason TEXT       why the node is retired (required; recorded as the record's message)
  --output FORMAT     text (default) or json
  --server URL        the kubeca service (https://; http:// only to loopback)
  --token-file FILE   an operator token (callers.operators; kubeca token create --role operator)
  --ca-file FILE      CA certificate(s) to trust for the service's TLS certificate (default: system store)
  -h, --help          show this help

Exit codes: 0 retired; 1 refused (the detail and the violation say why); 2 bad flags; 3 unreachable.
`;
