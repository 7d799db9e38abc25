// `kubeca token create --help`.

export const tokenCreateHelp = `Usage: kubeca token create --node NAME [--name LABEL] [--config FILE] [--output text|json]
       kubeca token create --role auditor|operator --name LABEL [--config FILE] [--output text|json]

Makes a new random bearer token (256 bits, base64url) and prints it once, with the config entry that
holds its SHA-256: under callers.tokens for a node, under callers.auditors or callers.operators for those roles. Add
the entry to the config and the token to the node (kubeca renew --token-file, mode 0600). kubeca
stores only the digest; a lost token cannot be recovered, only replaced.

Text output: the token alone on stdout, the entry and where it goes on stderr, so
  kubeca token create --node cp-1 > cp-1.token
writes the token to a file and shows the entry.

Flags:
  --node NAME        the node the token speaks for (a name under nodes)
  --role ROLE        node (default), auditor (reads GET /v1/audit and nothing else) or operator
                     (kubeca ca rotate and kubeca node retire, and nothing else)
  --name LABEL       the label in logs and audit records (default: <node>-renewer)
  --config FILE      check the entry against this config first: the node is listed, the label unused
  --output FORMAT    text (default) or json: { token, sha256, section, entry, line }
  -h, --help         show this help
`;
