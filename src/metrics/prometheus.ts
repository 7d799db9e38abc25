// The Prometheus side of metrics/types.ts, on prom-client: one registry per process, served as
// GET /metrics by `kubeca serve` and by the kubelet signer's health port. docs/metrics.md lists
// every metric; a test holds that page and this file in step.
//
// Cluster mode (serve --workers N, src/server/cluster): each process keeps its registry and the
// primary answers a scrape through prom-client's AggregatorRegistry, which sums counters and
// histograms. Gauges say how to combine: build info and CA expiry are the same in every process
// ("first"); the fleet's node expiry and whether it is loaded are kept by the primary alone, which
// stores every record, so "max" over processes is the primary's figure.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type {
  AuthenticationMethod,
  MetricsEndpoint,
  IssuanceMetrics,
  KubeletDecision,
  KubeletMetrics,
  KubeletSignerName,
  RateLimit,
  RequestOutcome,
  WatchEnd,
} from "./types.js";

/** Seconds; KMS Sign is ~5–50 ms in region, an HSM ~1–10 ms, the memory signer well under 1 ms. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const REQUEST_OUTCOMES: readonly RequestOutcome[] = ["issued", "reissued", "refused"];
const AUTHENTICATION_METHODS: readonly AuthenticationMethod[] = ["token", "certificate", "aws-iam", "none", "other"];
const RATE_LIMITS: readonly RateLimit[] = ["caller", "overall", "refused-credentials"];
/** The codes a signer fails with (signers/signer.ts), pre-set to 0 per CA so the first failure is a visible increase. */
const SIGNER_FAILURE_CODES = ["KUBECA_SIGNER_UNAVAILABLE", "KUBECA_SIGNER_MISCONFIGURED"] as const;
const AUDIT_UNAVAILABLE = "KUBECA_AUDIT_UNAVAILABLE";

/** One node's latest certificate for one file, as the fleet inventory holds it. */
export interface NodeCertificateExpiry {
  readonly node: string;
  readonly file: string;
  /** ISO-8601, as the audit record holds it. */
  readonly notAfter: string;
}

export interface CaExpiry {
  readonly name: string;
  readonly notAfter: Date;
}

export interface PrometheusOptions {
  /** kubeca's version for kubeca_build_info. */
  readonly version: string;
  /** process_* and nodejs_* metrics from prom-client (default true). */
  readonly processMetrics?: boolean;
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/** What both processes export: build info, CA and node expiry, signer and audit figures. */
class CommonMetrics implements MetricsEndpoint {
  readonly registry = new Registry();
  readonly #signDuration: Histogram<"ca">;
  readonly #signerFailures: Counter<"ca" | "code">;
  readonly #auditDuration: Histogram<never>;
  readonly #auditFailures: Counter<"code">;
  readonly #nodeExpiry: Gauge<"node" | "file">;
  #cas: readonly CaExpiry[] = [];
  #inventoryLoaded: (() => boolean) | undefined;

  constructor(options: PrometheusOptions) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: "kubeca_build_info",
      help: "Always 1; the labels say which kubeca and which Node.js runs.",
      labelNames: ["version", "nodejs"] as const,
      registers,
      aggregator: "first",
    }).set({ version: options.version, nodejs: process.version }, 1);

    const self = this;
    new Gauge({
      name: "kubeca_ca_certificate_expiry_timestamp_seconds",
      help: "notAfter of each CA certificate this process signs with, in Unix seconds.",
      labelNames: ["ca"] as const,
      registers,
      aggregator: "first",
      collect() {
        this.reset();
        for (const ca of self.#cas) this.set({ ca: ca.name }, seconds(ca.notAfter));
      },
    });
    // Set as the inventory changes, never rebuilt per scrape: a fleet of 10,000 nodes is 10,000 series.
    this.#nodeExpiry = new Gauge({
      name: "kubeca_node_certificate_expiry_timestamp_seconds",
      help: "notAfter of the latest certificate issued to each node for each file (kubeadm file name, kubelet-serving, kubelet.conf for the kubelet's client certificate), in Unix seconds, from the audit log.",
      labelNames: ["node", "file"] as const,
      registers,
      aggregator: "max",
    });
    new Gauge({
      name: "kubeca_node_certificate_inventory_loaded",
      help: "1 once the audit log has been read at start; until then the node expiry gauges hold only what this process issued since.",
      registers,
      aggregator: "max",
      collect() {
        this.set(self.#inventoryLoaded?.() ? 1 : 0);
      },
    });

    this.#signDuration = new Histogram({
      name: "kubeca_signer_sign_duration_seconds",
      help: "Time of each Sign call to a CA's signer (KMS, HSM or memory), failed calls included.",
      labelNames: ["ca"] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#signerFailures = new Counter({
      name: "kubeca_signer_failures_total",
      help: "Certificates a CA could not sign, by error code (KUBECA_SIGNER_UNAVAILABLE: retry; KUBECA_SIGNER_MISCONFIGURED: fix the key or its permissions; KUBECA_CA_INVALID: the CA expired).",
      labelNames: ["ca", "code"] as const,
      registers,
    });
    this.#auditDuration = new Histogram({
      name: "kubeca_audit_append_duration_seconds",
      help: "Time until an audit record was durably stored (file fsync or DynamoDB put); every answer waits for it.",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#auditFailures = new Counter({
      name: "kubeca_audit_append_failures_total",
      help: "Audit appends that failed; the request they belonged to failed closed (503).",
      labelNames: ["code"] as const,
      registers,
    });
    this.#auditFailures.inc({ code: AUDIT_UNAVAILABLE }, 0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The CAs this process signs with: their expiry gauges, and their failure counters set to 0. */
  caCertificates(cas: readonly CaExpiry[]): void {
    this.#cas = [...cas];
    for (const ca of cas) for (const code of SIGNER_FAILURE_CODES) this.#signerFailures.inc({ ca: ca.name, code }, 0);
  }

  /** A node's latest certificate for a file changed (the fleet inventory's onChange). */
  nodeCertificate(row: NodeCertificateExpiry): void {
    this.#nodeExpiry.set({ node: row.node, file: row.file }, Math.floor(Date.parse(row.notAfter) / 1000));
  }

  /** A node was retired (the fleet inventory's onRemove): its series go, so no alert keeps firing for it. */
  nodeCertificateRemoved(row: NodeCertificateExpiry): void {
    this.#nodeExpiry.remove({ node: row.node, file: row.file });
  }

  /** Whether the fleet inventory has read the whole audit log yet. */
  nodeInventoryLoaded(loaded: () => boolean): void {
    this.#inventoryLoaded = loaded;
  }

  signDuration(ca: string, s: number): void {
    this.#signDuration.observe({ ca }, s);
  }
  signerFailure(ca: string, code: string): void {
    this.#signerFailures.inc({ ca, code });
  }
  auditAppend(s: number): void {
    this.#auditDuration.observe(s);
  }
  auditAppendFailure(code: string): void {
    this.#auditFailures.inc({ code });
  }
}

/** `kubeca serve`: the issuance service's metrics. */
export class ServeMetrics extends CommonMetrics implements IssuanceMetrics {
  readonly #requests: Counter<"outcome" | "ca" | "file">;
  readonly #refusals: Counter<"rule">;
  readonly #rateLimited: Counter<"limit">;
  readonly #authFailures: Counter<"method">;

  constructor(options: PrometheusOptions) {
    super(options);
    const registers = [this.registry];
    this.#requests = new Counter({
      name: "kubeca_certificate_requests_total",
      help: "Signing requests decided, by outcome (issued, reissued: the same CSR again within the idempotency window, refused), issuing CA and kubeadm file (unknown: a name that is no kubeadm file).",
      labelNames: ["outcome", "ca", "file"] as const,
      registers,
    });
    this.#refusals = new Counter({
      name: "kubeca_certificate_refusals_total",
      help: "Refused signing requests by rule (docs/policy.md; an error code for CSRs that could not be read); a request breaking several rules counts once under each.",
      labelNames: ["rule"] as const,
      registers,
    });
    this.#rateLimited = new Counter({
      name: "kubeca_rate_limited_requests_total",
      help: "Requests answered 429, by the limit that refused them (caller, overall, refused-credentials).",
      labelNames: ["limit"] as const,
      registers,
    });
    this.#authFailures = new Counter({
      name: "kubeca_authentication_failures_total",
      help: "Refused credentials, by the method the caller tried (token, certificate, aws-iam, none: no credentials, other: an unknown scheme).",
      labelNames: ["method"] as const,
      registers,
    });
    for (const limit of RATE_LIMITS) this.#rateLimited.inc({ limit }, 0);
    for (const method of AUTHENTICATION_METHODS) this.#authFailures.inc({ method }, 0);
  }

  /** The files the service signs, with their CA: every outcome set to 0, so the first one is a visible increase. */
  files(files: readonly { readonly ca: string; readonly file: string }[]): void {
    for (const { ca, file } of files) for (const outcome of REQUEST_OUTCOMES) this.#requests.inc({ outcome, ca, file }, 0);
  }

  certificateRequest(outcome: RequestOutcome, ca: string, file: string, rules: readonly string[] = []): void {
    this.#requests.inc({ outcome, ca, file });
    for (const rule of rules) this.#refusals.inc({ rule });
  }
  rateLimited(limit: RateLimit): void {
    this.#rateLimited.inc({ limit });
  }
  authenticationFailure(method: AuthenticationMethod): void {
    this.#authFailures.inc({ method });
  }
}

/** What the kubelet signer's gauges read from its controller at each scrape. */
export interface KubeletControllerState {
  /** CSRs queued or being processed. */
  queueDepth(): number;
  readonly leading: boolean;
}

/** `kubeca kubelet-signer`: the controller's metrics. */
export class KubeletSignerMetrics extends CommonMetrics implements KubeletMetrics {
  readonly #decisions: Counter<"signer" | "decision" | "reason">;
  readonly #watchRestarts: Counter<"end">;
  #controller: KubeletControllerState | undefined;

  constructor(options: PrometheusOptions) {
    super(options);
    const registers = [this.registry];
    const self = this;
    this.#decisions = new Counter({
      name: "kubeca_kubelet_csr_decisions_total",
      help: "Kubelet CSR decisions written (approved, denied, signed, failed), by signer (kubelet-serving, kubelet-client) and reason (the condition reason, docs/kubelet-signer.md).",
      labelNames: ["signer", "decision", "reason"] as const,
      registers,
    });
    this.#watchRestarts = new Counter({
      name: "kubeca_kubelet_watch_restarts_total",
      help: "CSR watches started again, by how the last one ended (closed: the server's timeout, normal; expired: 410 Gone, listed again; broken: an error).",
      labelNames: ["end"] as const,
      registers,
    });
    new Gauge({
      name: "kubeca_kubelet_csr_queue_depth",
      help: "CSRs waiting in the work queue or being processed.",
      registers,
      collect() {
        this.set(self.#controller?.queueDepth() ?? 0);
      },
    });
    new Gauge({
      name: "kubeca_kubelet_leader",
      help: "1 while this replica holds the Lease and may write; 0 for a standby.",
      registers,
      collect() {
        this.set(self.#controller?.leading ? 1 : 0);
      },
    });
    for (const end of ["closed", "expired", "broken"] as const) this.#watchRestarts.inc({ end }, 0);
  }

  controller(state: KubeletControllerState): void {
    this.#controller = state;
  }

  kubeletCsr(signer: KubeletSignerName, decision: KubeletDecision, reason: string): void {
    this.#decisions.inc({ signer, decision, reason });
  }
  watchRestart(end: WatchEnd): void {
    this.#watchRestarts.inc({ end });
  }
}
