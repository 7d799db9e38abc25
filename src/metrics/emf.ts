// The Lambda side of metrics/types.ts: CloudWatch Embedded Metric Format. The counters of one
// invocation are written as one JSON log line when it ends (none when nothing happened), and
// CloudWatch Logs turns it into metrics in the namespace, with no PutMetricData call and no agent.
//
// An EMF line gives each dimension one value, while one invocation (a batch) can touch several CAs,
// files and rules. So the CloudWatch metrics carry one dimension, the function's name, and the same
// counters with their labels ride along in the line's `kubeca` member for Logs Insights
// (docs/metrics.md has the queries).
import type {
  AuthenticationMethod,
  IssuanceMetrics,
  KubeletDecision,
  KubeletMetrics,
  KubeletSignerName,
  RateLimit,
  RequestOutcome,
  WatchEnd,
} from "./types.js";

/** EMF caps a metric's values array at 100; observations beyond it in one invocation are only counted. */
export const EMF_MAX_VALUES = 100;

/** The CloudWatch metric names, one per counter of types.ts. */
const COUNTS = {
  issued: "CertificatesIssued",
  reissued: "CertificatesReissued",
  refused: "CertificatesRefused",
  signerFailures: "SignerFailures",
  auditFailures: "AuditAppendFailures",
  rateLimited: "RateLimitedRequests",
  authFailures: "AuthenticationFailures",
  approved: "KubeletCsrsApproved",
  denied: "KubeletCsrsDenied",
  signed: "KubeletCsrsSigned",
  failed: "KubeletCsrsFailed",
  watchRestarts: "KubeletWatchRestarts",
} as const;
const DURATIONS = { sign: "SignDuration", audit: "AuditAppendDuration" } as const;

/** Every CloudWatch metric name a line may carry (docs/metrics.md lists them). */
export const EMF_METRIC_NAMES: readonly string[] = [...Object.values(COUNTS), ...Object.values(DURATIONS)];

type CountKey = keyof typeof COUNTS;
type DurationKey = keyof typeof DURATIONS;

export interface EmfOptions {
  /** CloudWatch namespace (default "kubeca"). */
  readonly namespace?: string;
  /** The value of the FunctionName dimension: AWS_LAMBDA_FUNCTION_NAME. */
  readonly functionName: string;
  /** Where the line goes: process.stdout, which Lambda sends to CloudWatch Logs. */
  readonly write: (line: string) => void;
  readonly now?: () => number;
}

export class EmfMetrics implements IssuanceMetrics, KubeletMetrics {
  readonly #namespace: string;
  readonly #functionName: string;
  readonly #write: (line: string) => void;
  readonly #now: () => number;
  #counts = new Map<CountKey, number>();
  #durations = new Map<DurationKey, number[]>();
  /** The labelled counters, "label/label" → count, per counter. */
  #breakdown = new Map<string, Map<string, number>>();

  constructor(options: EmfOptions) {
    this.#namespace = options.namespace ?? "kubeca";
    this.#functionName = options.functionName;
    this.#write = options.write;
    this.#now = options.now ?? Date.now;
  }

  #count(key: CountKey, ...labels: string[]): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    if (labels.length === 0) return;
    let byLabel = this.#breakdown.get(key);
    if (!byLabel) this.#breakdown.set(key, (byLabel = new Map()));
    const label = labels.join("/");
    byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
  }

  #duration(key: DurationKey, seconds: number): void {
    let values = this.#durations.get(key);
    if (!values) this.#durations.set(key, (values = []));
    if (values.length < EMF_MAX_VALUES) values.push(Math.round(seconds * 1e6) / 1e3);
  }

  /** One dimension only (see the header): durations are not split by CA. */
  signDuration(_ca: string, seconds: number): void {
    this.#duration("sign", seconds);
  }
  signerFailure(ca: string, code: string): void {
    this.#count("signerFailures", ca, code);
  }
  auditAppend(seconds: number): void {
    this.#duration("audit", seconds);
  }
  auditAppendFailure(code: string): void {
    this.#count("auditFailures", code);
  }
  certificateRequest(outcome: RequestOutcome, ca: string, file: string, rules: readonly string[] = []): void {
    this.#count(outcome, ca, file);
    for (const rule of rules) this.#label("refusedRules", rule);
  }
  rateLimited(limit: RateLimit): void {
    this.#count("rateLimited", limit);
  }
  authenticationFailure(method: AuthenticationMethod): void {
    this.#count("authFailures", method);
  }
  kubeletCsr(signer: KubeletSignerName, decision: KubeletDecision, reason: string): void {
    this.#count(decision, signer, reason);
  }
  watchRestart(end: WatchEnd): void {
    this.#count("watchRestarts", end);
  }

  /** A breakdown with no CloudWatch metric of its own (refusals by rule: CertificatesRefused counts them). */
  #label(name: string, label: string): void {
    let byLabel = this.#breakdown.get(name);
    if (!byLabel) this.#breakdown.set(name, (byLabel = new Map()));
    byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
  }

  /** Writes what was recorded since the last flush as one EMF line, and starts over; nothing recorded, nothing written. */
  flush(): void {
    if (this.#counts.size === 0 && this.#durations.size === 0) return;
    const metrics: { Name: string; Unit: string }[] = [];
    const values: Record<string, number | number[]> = {};
    for (const [key, n] of this.#counts) {
      metrics.push({ Name: COUNTS[key], Unit: "Count" });
      values[COUNTS[key]] = n;
    }
    for (const [key, list] of this.#durations) {
      metrics.push({ Name: DURATIONS[key], Unit: "Milliseconds" });
      values[DURATIONS[key]] = list;
    }
    const breakdown: Record<string, Record<string, number>> = {};
    for (const [name, byLabel] of this.#breakdown) breakdown[name] = Object.fromEntries(byLabel);
    const document = {
      _aws: {
        Timestamp: this.#now(),
        CloudWatchMetrics: [{ Namespace: this.#namespace, Dimensions: [["FunctionName"]], Metrics: metrics }],
      },
      FunctionName: this.#functionName,
      ...values,
      kubeca: breakdown,
    };
    this.#counts = new Map();
    this.#durations = new Map();
    this.#breakdown = new Map();
    this.#write(JSON.stringify(document) + "\n");
  }
}
