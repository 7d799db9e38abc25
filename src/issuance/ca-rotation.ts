// The CA rotation as the service and the kubelet signer follow it: for each CA, its current and (when
// configured) next IssuingCa, the phase read from the rotation store, and from that the CA that signs
// and the CAs nodes must trust. The phase is cached for rotation.refreshSeconds; a change is refused
// until twice that time has passed since the last one, so no instance is ever two phases behind.
//
// A phase change, in order: read the newest state → one step from the phase the operator named →
// not too soon after the last → the nodes are ready (unless forced) → audit record (fail closed) →
// compare-and-set the state. A refusal is recorded too.
import type { AuditActor, AuditLog, AuditRotation } from "../audit/types.js";
import { CaName, phaseEffect, rotationTarget, type RotationAction, type RotationPhase } from "../config/index.js";
import { KubecaError, type Violation } from "../errors/index.js";
import type { IssuingCa } from "./issuing-ca.js";
import type { RotationEntry, RotationState, RotationStore } from "./rotation-store.js";

export interface CaPair {
  readonly current: IssuingCa;
  readonly next: IssuingCa | undefined;
}

/** One CA as the rotation stands for it now. */
export interface RotationView {
  readonly name: CaName;
  readonly phase: RotationPhase;
  /** The CA that signs new leaves in this phase. */
  readonly signing: IssuingCa;
  /** What nodes must trust now, the signing CA first. */
  readonly trusted: readonly IssuingCa[];
  readonly current: IssuingCa;
  readonly next: IssuingCa | undefined;
  /** When the phase began; undefined when idle with no recorded rotation. */
  readonly since: string | undefined;
  /** The seq of the audit record that began the phase. */
  readonly sinceSeq: number | undefined;
}

export interface RotationChange {
  readonly ca: CaName;
  readonly action: RotationAction;
  /** The phase the operator believes the CA is in: the change is refused when it is not. */
  readonly expect: RotationPhase;
  /** Skip the readiness check (nodes that have not reported); recorded in the audit record. */
  readonly force?: boolean;
}

/** Why the nodes are not ready for `from → to`; empty when they are. Gathered from the audit log. */
export type ReadinessGate = (ca: CaName, from: RotationPhase, to: RotationPhase, afterSeq: number | undefined) => Promise<readonly Violation[]>;

export interface CaRotationsOptions {
  readonly store: RotationStore;
  readonly refreshSeconds: number;
  readonly now: () => Date;
}

export class CaRotations {
  readonly #pairs: ReadonlyMap<CaName, CaPair>;
  readonly #store: RotationStore;
  readonly #refreshMs: number;
  readonly #now: () => Date;
  #state: RotationState | undefined;
  #readAt = 0;
  #reading: Promise<RotationState> | undefined;
  /** The change being decided: the next one in this process waits for it, so it decides on what that one stored. */
  #changing: Promise<unknown> = Promise.resolve();

  constructor(pairs: ReadonlyMap<CaName, CaPair>, options: CaRotationsOptions) {
    this.#pairs = pairs;
    this.#store = options.store;
    this.#refreshMs = options.refreshSeconds * 1000;
    this.#now = options.now;
  }

  /** Whether any CA names a next CA: only then is the store read after start. */
  get rotating(): boolean {
    return [...this.#pairs.values()].some((p) => p.next !== undefined);
  }

  names(): CaName[] {
    return CaName.options.filter((n) => this.#pairs.has(n));
  }

  pair(name: CaName): CaPair | undefined {
    return this.#pairs.get(name);
  }

  /** Reads the state now and checks it against the config; start-up calls this so a mismatch stops it. */
  async load(): Promise<void> {
    await this.#read();
    for (const name of this.names()) this.#resolve(name);
  }

  /** The view of one CA, reading the store again when the cached phase is older than refreshSeconds. */
  async view(name: CaName): Promise<RotationView | undefined> {
    if (!this.#pairs.has(name)) return undefined;
    if (this.rotating && (this.#state === undefined || this.#now().getTime() - this.#readAt >= this.#refreshMs)) await this.#read();
    return this.#resolve(name);
  }

  async views(): Promise<RotationView[]> {
    const out: RotationView[] = [];
    for (const name of this.names()) out.push((await this.view(name))!);
    return out;
  }

  async #read(): Promise<RotationState> {
    this.#reading ??= this.#store
      .read()
      .then((state) => {
        this.#state = state;
        this.#readAt = this.#now().getTime();
        return state;
      })
      .catch((e) => {
        // A phase older than three refresh periods is no longer safe to act on: fail closed.
        if (this.#state !== undefined && this.#now().getTime() - this.#readAt < 3 * this.#refreshMs) return this.#state;
        throw e;
      })
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }

  #resolve(name: CaName): RotationView {
    const pair = this.#pairs.get(name)!;
    const entry = this.#state?.cas[name];
    const phase = resolvePhase(name, pair, entry);
    const effect = phaseEffect(phase);
    const pick = (which: "current" | "next") => (which === "current" ? pair.current : pair.next!);
    return {
      name,
      phase,
      signing: pick(effect.signs),
      trusted: effect.trusts.map(pick),
      current: pair.current,
      next: pair.next,
      since: phase === "idle" ? undefined : entry?.since,
      sinceSeq: phase === "idle" ? undefined : entry?.seq,
    };
  }

  /** Moves one CA one phase, or refuses (recorded, then thrown as KUBECA_ROTATION_REFUSED). */
  /**
   * One phase change, decided after any other change in this process is stored: two operators at once
   * get one change and one "phase moved" refusal, and the store's compare-and-set is left for other
   * processes (Lambda instances, replicas on one DynamoDB table).
   */
  change(request: RotationChange, actor: AuditActor, requestId: string | undefined, audit: AuditLog, gate: ReadinessGate): Promise<RotationView> {
    const run = this.#changing.then(() => this.#change(request, actor, requestId, audit, gate));
    this.#changing = run.catch(() => undefined);
    return run;
  }

  async #change(request: RotationChange, actor: AuditActor, requestId: string | undefined, audit: AuditLog, gate: ReadinessGate): Promise<RotationView> {
    const { ca, action, expect } = request;
    const pair = this.#pairs.get(ca);
    const state = await this.#store.read();
    this.#state = state;
    this.#readAt = this.#now().getTime();
    const entry = state.cas[ca];
    const record = (from: string, to: string, version: number): AuditRotation => ({
      ca,
      action,
      from,
      to,
      current: pair?.current.info.sha256 ?? "",
      next: pair?.next?.info.sha256 ?? "",
      version,
      ...(request.force ? { forced: true } : {}),
    });
    const refuse = async (from: string, to: string, violations: Violation[]): Promise<never> => {
      await audit.append({ event: "ca-rotation-refused", requestId, actor, rotation: record(from, to, state.version), violations });
      const first = violations[0]?.message ?? "refused";
      throw new KubecaError("KUBECA_ROTATION_REFUSED", `${action} ${ca}: ${first}${violations.length > 1 ? ` (and ${violations.length - 1} more)` : ""}`, { violations });
    };

    if (!pair) return refuse("-", "-", [{ field: "ca", rule: "ca-not-configured", message: `${ca} is not configured under cas` }]);
    if (!pair.next) {
      return refuse("idle", "-", [{ field: `cas.${ca}.next`, rule: "next-ca-missing", message: `cas.${ca}.next is not configured: name the next CA (certificate and signer) in the config and restart the service first` }]);
    }
    const phase = resolvePhase(ca, pair, entry);
    if (phase !== expect) {
      return refuse(phase, "-", [{ field: "expect", rule: "phase-moved", message: `${ca} is in phase ${phase}, not ${expect}; run kubeca ca rotate status and decide again` }]);
    }
    const target = rotationTarget(action, phase);
    if (!target) {
      return refuse(phase, "-", [{ field: "action", rule: "not-one-step", message: `${action} is not a move from ${phase}: phases go idle → trust-both → sign-new → finish, one step at a time (abort goes one step back)` }]);
    }
    const since = phase === "idle" ? undefined : entry?.since;
    if (since !== undefined) {
      const settleMs = 2 * this.#refreshMs;
      const waited = this.#now().getTime() - Date.parse(since);
      if (waited < settleMs) {
        return refuse(phase, target, [{ field: "since", rule: "too-soon", message: `${ca} entered ${phase} ${Math.floor(waited / 1000)} s ago; wait ${Math.ceil((settleMs - waited) / 1000)} s more so that every instance has followed it (twice rotation.refreshSeconds)` }]);
      }
    }
    if (!request.force) {
      const blocking = await gate(ca, phase, target, phase === "idle" ? undefined : entry?.seq);
      if (blocking.length > 0) return refuse(phase, target, [...blocking]);
    }

    const stored = await audit.append({ event: "ca-rotation", requestId, actor, rotation: record(phase, target, state.version + 1) });
    const next: RotationEntry = { phase: target, current: pair.current.info.sha256, next: pair.next.info.sha256, since: this.#now().toISOString(), seq: stored.seq };
    const written = await this.#store.replace(state.version, { cas: { ...state.cas, [ca]: next } });
    if (!written) {
      return refuse(phase, target, [{ field: "version", rule: "concurrent-change", message: `another change to the rotation state was stored while this one was decided (version ${state.version} is gone); the ca-rotation record before this one did not take effect; run kubeca ca rotate status and decide again` }]);
    }
    this.#state = await this.#store.read();
    this.#readAt = this.#now().getTime();
    return this.#resolve(ca);
  }
}

/**
 * The phase of one CA given the stored entry and the configured pair. A finished rotation whose next
 * CA the config has made current is over: idle again, ready for the next one. Any other disagreement
 * between the state and the config is refused (fail closed): signing with the wrong CA breaks nodes.
 */
export function resolvePhase(name: CaName, pair: CaPair, entry: RotationEntry | undefined): RotationPhase {
  if (!entry || entry.phase === "idle") return "idle";
  const current = pair.current.info.sha256;
  if (entry.phase === "finish" && entry.next === current) return "idle";
  if (entry.current === current && pair.next?.info.sha256 === entry.next) return entry.phase;
  throw new KubecaError(
    "KUBECA_CONFIG_INVALID",
    `cas.${name}: the rotation is in phase ${entry.phase} from CA ${entry.current.slice(0, 16)}… to ${entry.next.slice(0, 16)}…, but the config has ${current.slice(0, 16)}…${pair.next ? ` with next ${pair.next.info.sha256.slice(0, 16)}…` : " and no next CA"}; restore the config the rotation began with (after finish, promote next to current), or abort the rotation first`,
  );
}
