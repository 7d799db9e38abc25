// What kubeca counts, as narrow interfaces the code that sees the event is handed (the way it is
// handed the audit log). issuance/, kubelet/ and server/ call these; they never import a metrics
// library. Two implementations: Prometheus (prometheus.ts, for `serve` and `kubelet-signer`) and
// CloudWatch Embedded Metric Format log lines (emf.ts, for Lambda); NO_METRICS when nobody listens.
//
// Every label value passed here comes from a closed set: CA names, canonical kubeadm file names,
// policy rules, error codes, kubelet reasons, authentication methods. Never a serial, a CSR hash, a
// token, a node name from a request or any other text a caller chose (node names appear only in the
// fleet gauges, from the audit log).

/** A certificate request's outcome as the issuance pipeline decided it. */
export type RequestOutcome = "issued" | "reissued" | "refused";

/** How a refused caller tried to authenticate: the scheme it sent, not whether it was right. */
export type AuthenticationMethod = "token" | "certificate" | "aws-iam" | "none" | "other";

/** Which token bucket refused a request (server/rate-limiter.ts). */
export type RateLimit = "caller" | "overall" | "refused-credentials";

export interface SignerMetrics {
  /** One Sign call by a CA's signer, successful or not, and how long it took. */
  signDuration(ca: string, seconds: number): void;
  /** A certificate the CA could not sign, by the error code the signer (or issuer) failed with. */
  signerFailure(ca: string, code: string): void;
}

export interface AuditMetrics {
  /** One append that resolved (the record is durable), and how long it took. */
  auditAppend(seconds: number): void;
  /** One append that rejected: nothing was stored, and the request failed closed. */
  auditAppendFailure(code: string): void;
}

export interface IssuanceMetrics extends SignerMetrics, AuditMetrics {
  /**
   * One signing request decided. `ca` and `file` are the profile's issuer and canonical name; for a
   * name that is no kubeadm file, both are "unknown". `rules` lists the refusal's distinct rules.
   */
  certificateRequest(outcome: RequestOutcome, ca: string, file: string, rules?: readonly string[]): void;
  rateLimited(limit: RateLimit): void;
  authenticationFailure(method: AuthenticationMethod): void;
}

/** The kubelet signer's two signers, by their short names. */
export type KubeletSignerName = "kubelet-serving" | "kubelet-client";
export type KubeletDecision = "approved" | "denied" | "signed" | "failed";
/** Why a CSR watch ended: 410 Gone (listed again), the server closed it (timeout), or it broke. */
export type WatchEnd = "expired" | "closed" | "broken";

export interface KubeletMetrics extends SignerMetrics, AuditMetrics {
  /** One decision written to the audit log; `reason` is a kubelet Reasons constant. */
  kubeletCsr(signer: KubeletSignerName, decision: KubeletDecision, reason: string): void;
  /** The CSR watch ended and was started again. */
  watchRestart(end: WatchEnd): void;
}

/** A registry to scrape: what GET /metrics answers. */
export interface MetricsEndpoint {
  readonly contentType: string;
  /** The exposition text of every metric in the registry. */
  text(): Promise<string>;
}

const nothing = (): void => {};

/** Listens to nothing: the default wherever metrics are optional. */
export const NO_METRICS: IssuanceMetrics & KubeletMetrics = Object.freeze({
  signDuration: nothing,
  signerFailure: nothing,
  auditAppend: nothing,
  auditAppendFailure: nothing,
  certificateRequest: nothing,
  rateLimited: nothing,
  authenticationFailure: nothing,
  kubeletCsr: nothing,
  watchRestart: nothing,
});
