// What other layers use from metrics/: the interfaces and the no-op. The implementations
// (prometheus.ts, emf.ts) are imported only by the entry points that choose one, so the Lambda
// bundle carries no prom-client and nothing below cli/ and lambda/ knows which one runs.
export { NO_METRICS } from "./types.js";
export type {
  AuditMetrics,
  AuthenticationMethod,
  IssuanceMetrics,
  KubeletDecision,
  KubeletMetrics,
  KubeletSignerName,
  MetricsEndpoint,
  RateLimit,
  RequestOutcome,
  SignerMetrics,
  WatchEnd,
} from "./types.js";
