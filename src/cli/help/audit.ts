// `kubeca audit list|verify|export --help`.
import { AUDIT_EVENT_TYPES } from "../../audit/record.js";

const SOURCE_HELP = `  --config FILE     read the store the kubeca config names (audit.store: file or dynamodb)
  --file PATH       read this JSONL file: a log (its checkpoints from <name>.checkpoints.jsonl beside
                    it), an export, or a saved stdout-mirror stream (records and checkpoints)`;

const FILTER_HELP = `  --since TIME      records at or after TIME (ISO-8601, e.g. 2026-01-31 or 2026-01-31T12:00:00Z)
  --until TIME      records before TIME
  --node NAME       records of callers for this node
  --serial HEX      the record of this certificate serial (colons and case ignored)
  --event TYPE      only this event; repeatable. One of:
                    ${AUDIT_EVENT_TYPES.join(", ")}`;

export const auditListHelp = `Usage: kubeca audit list [--config FILE | --file PATH] [filters] [--limit N] [--cursor C] [--output json]

Prints audit records, newest first, one page at a time.

Flags:
${SOURCE_HELP}
${FILTER_HELP}
  --limit N         records per page (default 100)
  --cursor C        continue after the page that printed this cursor
  --output FORMAT   text (default) or json ({"records": [...], "nextCursor": ...})
  -h, --help        show this help
`;

export const auditVerifyHelp = `Usage: kubeca audit verify [--config FILE | --file PATH] [--public-key FILE...] [--checkpoint FILE...] [--output json]

Recomputes every record's hash and link, and checks the chain against its signed checkpoints.
Exits 0 when the log is intact, 1 when it is not, naming the first broken record and how it broke:
modified, removed, reordered, truncated (cut after a checkpoint) or forged-checkpoint.

Flags:
${SOURCE_HELP}
  --public-key FILE checkpoint key: a PEM public key, or a certificate (e.g. the CA's ca.crt) whose key
                    signs checkpoints; repeatable. Without it signatures are not checked.
  --checkpoint FILE checkpoints kept elsewhere (JSON or JSONL; a saved stdout-mirror stream works, its
                    record lines are ignored), held against the log like its own; repeatable
  --output FORMAT   text (default) or json
  -h, --help        show this help
`;

export const auditExportHelp = `Usage: kubeca audit export --format jsonl|csv [--out FILE] [--config FILE | --file PATH] [filters]

Writes the records, oldest first. jsonl: each record's canonical JSON, exactly what its hash covers
(an unfiltered jsonl export verifies with kubeca audit verify --file). csv: a header row and fixed
columns (docs/audit.md), RFC 4180 quoting.

Flags:
  --format FORMAT   jsonl or csv (required)
  --out FILE        write to FILE instead of stdout
${SOURCE_HELP}
${FILTER_HELP}
  -h, --help        show this help
`;

export const auditInventoryHelp = `Usage: kubeca audit inventory [--config FILE | --file PATH] [--expiring-within DUR] [--output json]

For every node and every file, the latest certificate kubeca handed out (issued, or handed back again
within the idempotency window), read from the audit log: serial, notAfter and the time left, what
expires first first. A newer certificate for the same node and file replaces the older one; a node
that stopped renewing keeps its last row and shows up as it comes near its end. Kubelet certificates
the kubelet signer signed are rows too: kubelet-serving, and kubelet.conf for the kubelet's client
certificate (whether kubeca's API or a node client CSR issued it).

Flags:
  --config FILE            read the store the kubeca config names (audit.store: file or dynamodb)
  --file PATH              read this JSONL file (a log, an export, or a saved stdout-mirror stream)
  --expiring-within DUR    count certificates expiring within DUR as due, e.g. 30d, 720h (default 0s:
                           only expired ones)
  --output FORMAT          text (default) or json
  -h, --help               show this help

Reads the whole log once (a file is streamed; a DynamoDB chain is queried page by page).

Exit codes: 0 nothing due; 1 a certificate expired or expires within --expiring-within, or a record
could not be read (it may have been a node's latest); 2 bad flags or config, or no log at --file;
3 the store is unavailable (retry later).
`;
