// Lease-based leader election (coordination.k8s.io/v1), after client-go's leaderelection: a
// candidate takes the Lease only when its holder has not renewed it for a whole lease duration, as
// measured on the candidate's own clock from when it last saw the record change (no trust in other
// clocks). The leader renews every retry period; if it cannot renew for renewDeadline (< lease
// duration) it stops, and `fence()` refuses writes from that moment, so two replicas never sign.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease, type V1LeaseSpec } from "@kubernetes/client-node";
import { isConflict, isNotFound } from "./api-errors.js";
import type { KubeletLog } from "./kubelet-log.js";

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly leaseName: string;
  /** This replica's name in spec.holderIdentity (pod name + random suffix). */
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly now: () => Date;
  readonly log: KubeletLog;
}

export interface LeadershipCallbacks {
  onStartedLeading(): void;
  /** May be async: the Lease is released only after it resolves (in-flight work done). */
  onStoppedLeading(): void | Promise<void>;
}

export class NotLeaderError extends Error {
  constructor(identity: string) {
    super(`${identity} does not hold the lease; not writing`);
    this.name = "NotLeaderError";
  }
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private leading = false;
  private lastRenewMs = 0;
  private observed: { holder: string; renew: string; transitions: number } | undefined;
  private observedAtMs = 0;
  /** When the Lease was last read or written successfully: this replica's proof that it reaches the apiserver. */
  private lastContactMs = Number.NEGATIVE_INFINITY;
  private running = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    kc: KubeConfig,
    private readonly options: LeaderElectionOptions,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
  }

  /** Leading, and the last renewal is recent enough that no other replica can have taken over. */
  isLeader(): boolean {
    return this.leading && this.options.now().getTime() - this.lastRenewMs < this.options.renewDeadlineMs;
  }

  /** The Lease was read or written within `withinMs`: the apiserver is reachable and the Lease readable. */
  reachedLeaseWithin(withinMs: number): boolean {
    return this.options.now().getTime() - this.lastContactMs < withinMs;
  }

  /** Throws NotLeaderError unless `isLeader()`: called before every apiserver write. */
  fence(): void {
    if (!this.isLeader()) throw new NotLeaderError(this.options.identity);
  }

  /** Try to acquire or renew once; true when this replica holds the Lease now. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, leaseName: name, identity } = this.options;
    const now = this.options.now();
    const nowMs = now.getTime();
    const durationSeconds = Math.max(1, Math.ceil(this.options.leaseDurationMs / 1000));
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
      this.lastContactMs = nowMs;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const spec: V1LeaseSpec = { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: micro(now), renewTime: micro(now), leaseTransitions: 0 };
      try {
        await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } });
      } catch (err) {
        if (isConflict(err)) return false; // someone else created it first
        throw err;
      }
      return this.renewed(nowMs, spec);
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const record = { holder, renew: timeText(spec.renewTime), transitions: spec.leaseTransitions ?? 0 };
    if (!this.observed || this.observed.holder !== record.holder || this.observed.renew !== record.renew || this.observed.transitions !== record.transitions) {
      this.observed = record;
      this.observedAtMs = nowMs;
    }
    const theirDurationMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder !== "" && holder !== identity && this.observedAtMs + theirDurationMs > nowMs) return false;
    const next: V1LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      // MicroTime values come back as strings; re-wrap so they serialise with 6 fraction digits.
      acquireTime: holder === identity && spec.acquireTime ? micro(new Date(String(spec.acquireTime))) : micro(now),
      renewTime: micro(now),
      leaseTransitions: holder === identity ? record.transitions : record.transitions + 1,
    };
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: next } });
    } catch (e) {
      if (isConflict(e)) return false; // another replica wrote first
      throw e;
    }
    return this.renewed(nowMs, next);
  }

  /** One attempt that, when it succeeds, makes this replica the leader (the Lambda sweep's way in). */
  async acquireOnce(): Promise<boolean> {
    const ok = await this.tryAcquireOrRenew();
    if (ok) this.leading = true;
    return ok;
  }

  /** Campaign and renew until `stop()`, reporting transitions. */
  start(callbacks: LeadershipCallbacks = { onStartedLeading() {}, onStoppedLeading() {} }): void {
    this.running = true;
    this.loop = this.run(callbacks);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Give the Lease up (holder emptied) so a standby takes over without waiting for expiry. */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    const { namespace, leaseName: name } = this.options;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      const spec: V1LeaseSpec = { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: micro(this.options.now()) };
      if (lease.spec.acquireTime) spec.acquireTime = micro(new Date(String(lease.spec.acquireTime)));
      await this.api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } });
    } catch (e) {
      this.options.log.warn("lease release failed", { error: String(e) });
    }
  }

  private async run(callbacks: LeadershipCallbacks): Promise<void> {
    while (this.running) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (e) {
        this.options.log.warn("lease attempt failed", { error: String(e) });
      }
      if (!this.running) break;
      if (ok && !this.leading) {
        this.leading = true;
        this.options.log.info("leading", { identity: this.options.identity });
        callbacks.onStartedLeading();
      } else if (this.leading && !this.isLeader()) {
        this.leading = false;
        this.options.log.warn("lost the lease", { identity: this.options.identity });
        await callbacks.onStoppedLeading();
      }
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, this.options.retryPeriodMs).unref();
      });
    }
    if (this.leading) {
      // Finish in-flight work first (still fenced by isLeader), then hand the Lease over.
      await callbacks.onStoppedLeading();
      await this.release();
    }
  }

  private renewed(nowMs: number, spec: V1LeaseSpec): true {
    this.lastRenewMs = nowMs;
    this.lastContactMs = nowMs;
    this.observed = { holder: spec.holderIdentity ?? "", renew: timeText(spec.renewTime), transitions: spec.leaseTransitions ?? 0 };
    this.observedAtMs = nowMs;
    return true;
  }
}

/** A MicroTime as the apiserver writes it, whether we hold a Date or the string read back. */
function timeText(t: Date | string | undefined): string {
  if (t === undefined) return "";
  return t instanceof Date ? micro(t).toISOString() : String(t);
}

function micro(d: Date): V1MicroTime {
  return new V1MicroTime(d.getTime());
}
