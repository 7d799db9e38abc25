// `kubeca ca rotate <subcommand> --help`.

const connection = `  --server URL        the kubeca service (https://; http:// only to loopback)
  --token-file FILE   an operator token (callers.operators; kubeca token create --role operator)
  --ca-file FILE      CA certificate(s) to trust for the service's TLS certificate (default: system store)`;

const phases = `Phases (docs/ca-rotation.md): idle → trust-both → sign-new → finish, one step at a time.
  trust-both  the service still signs with the current CA; nodes install bundles of both CAs
  sign-new    new certificates come from the next CA; nodes renew every certificate
  finish      the current CA is dropped from the bundles; then make next the current CA in the config`;

export const caRotatePrepareHelp = `Usage: kubeca ca rotate prepare --ca NAME --server URL --token-file FILE [--ca-file FILE]

Starts rotating CA NAME (ca, etcd-ca, front-proxy-ca) to the next CA its config names under
cas.NAME.next (create its certificate first with kubeca ca init --next): idle → trust-both. The
service keeps signing with the current CA; from now on GET /v1/ca hands nodes a bundle of both, and
each kubeca renew installs it.

${phases}

Flags:
  --ca NAME           the CA to rotate
${connection}
  -h, --help          show this help

Exit codes: 0 changed; 1 refused (the detail and each violation say why); 2 bad flags; 3 unreachable.
`;

export const caRotateAdvanceHelp = `Usage: kubeca ca rotate advance --ca NAME --server URL --token-file FILE [--force] [--ca-file FILE]

Moves CA NAME one phase on: trust-both → sign-new, or sign-new → finish. Refused unless every node
is ready for it, as the nodes' reports in the audit log show (kubeca ca rotate status lists what is
in the way): before sign-new every node must trust the next CA; before finish no node may hold a
certificate of the current CA. Also refused within twice rotation.refreshSeconds of the last change,
so that every service instance has followed it. Every change and every refusal is audited.

${phases}

Flags:
  --ca NAME           the CA to advance
  --force             advance although nodes are not ready (a node that is gone); recorded as forced
${connection}
  -h, --help          show this help

Exit codes: 0 changed; 1 refused; 2 bad flags; 3 unreachable.
`;

export const caRotateAbortHelp = `Usage: kubeca ca rotate abort --ca NAME --server URL --token-file FILE [--force] [--ca-file FILE]

Moves CA NAME one phase back: finish → sign-new (the current CA is trusted again), sign-new →
trust-both (the current CA signs again; both stay trusted), trust-both → idle (the next CA is dropped;
refused while a node still holds a certificate of the next CA). Run kubeca renew on every node after
each step, as for advance.

Flags:
  --ca NAME           the CA whose rotation to step back
  --force             step back to idle although nodes hold certificates of the next CA; recorded
${connection}
  -h, --help          show this help

Exit codes: 0 changed; 1 refused; 2 bad flags; 3 unreachable.
`;

export const caRotateStatusHelp = `Usage: kubeca ca rotate status --server URL --token-file FILE [--ca NAME] [--output text|json] [--ca-file FILE]

Shows each CA's rotation phase and, from the audit log, each node's newest report since the phase
began: whether it trusts the current and the next CA, and which of its certificates each issued; then
whether it is safe to advance, and if not, which nodes are in the way and why. An auditor token works
too.

Flags:
  --ca NAME           only this CA
  --output FORMAT     text (default) or json
${connection}
  -h, --help          show this help

Exit codes: 0 shown (a CA not yet safe to advance is shown, not an error); 2 bad flags; 3 unreachable.
`;
