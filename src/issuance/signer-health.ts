// Whether each CA's signer can sign now, for /readyz. Signers that can be asked (KeyStateChecking: the
// KMS signer) are asked every KEY_CHECK_INTERVAL_MS, and at once after any failed signature; a
// failure that names the key's state (disabled, pending deletion, gone, denied) turns the CA not
// ready immediately, before the re-check answers. /readyz asks again itself when the last answer is
// older than the interval (a Lambda instance's timers do not run while it is frozen). So a key
// disabled without any traffic shows as not ready within one interval plus one KMS timeout.
import type { CaName } from "../config/index.js";
import { isKubecaError } from "../errors/index.js";
import { checksKeyState, isSignerError, KEY_STATE_REASONS, type KeyState } from "../signers/index.js";
import type { IssuingCa } from "./issuing-ca.js";
import type { ReadinessCheck } from "./types.js";

/** How often a running service asks KMS whether each CA key can still sign. */
export const KEY_CHECK_INTERVAL_MS = 30_000;

export interface SignerHealthOptions {
  readonly intervalMs?: number;
  /** Real elapsed time by default; tests pass a clock. */
  readonly nowMs?: () => number;
}

interface Known {
  state: KeyState;
  /** When the state was last learnt or asked for; 0 = never. */
  atMs: number;
  /** The check in flight, so a burst of failures asks once at a time. */
  asking: Promise<void> | undefined;
  /** Bumped by each failed signature: an answer to a question asked before it is stale. */
  epoch: number;
}

export class SignerHealth {
  readonly #cas: readonly IssuingCa[];
  readonly #intervalMs: number;
  readonly #nowMs: () => number;
  readonly #known = new Map<CaName, Known>();
  #timer: NodeJS.Timeout | undefined;

  constructor(cas: Iterable<IssuingCa>, options: SignerHealthOptions = {}) {
    this.#cas = [...cas];
    this.#intervalMs = options.intervalMs ?? KEY_CHECK_INTERVAL_MS;
    this.#nowMs = options.nowMs ?? (() => performance.now());
    for (const ca of this.#cas) this.#known.set(ca.name, { state: { usable: true }, atMs: 0, asking: undefined, epoch: 0 });
  }

  /** Asks every checkable signer now and then every interval, until stop(). The timer keeps no process alive. */
  start(): void {
    if (this.#timer) return;
    for (const ca of this.#cas) void this.#ask(ca);
    this.#timer = setInterval(() => this.#cas.forEach((ca) => void this.#ask(ca)), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** A signature by `ca` failed: mark it at once when the failure names the key, and ask again now. */
  signingFailed(caName: CaName, error: unknown): void {
    const ca = this.#cas.find((c) => c.name === caName);
    const known = this.#known.get(caName);
    if (!ca || !known) return;
    known.epoch++;
    if (isSignerError(error) && KEY_STATE_REASONS.has(error.reason)) {
      known.state = { usable: false, reason: error.reason, detail: error.detail };
      known.atMs = this.#nowMs();
    }
    void this.#ask(ca);
  }

  /** One readiness check per CA; asks first where the last answer is older than the interval. */
  async checks(): Promise<ReadinessCheck[]> {
    await Promise.all(this.#cas.filter((ca) => this.#stale(ca)).map((ca) => this.#ask(ca)));
    return this.#cas.map((ca) => {
      const { state } = this.#known.get(ca.name)!;
      const name = `signer:${ca.name}`;
      if (!state.usable) return { name, ok: false, detail: state.detail };
      return { name, ok: true, detail: checksKeyState(ca.signer) ? "key usable; public key matches the CA certificate" : "public key matches the CA certificate" };
    });
  }

  #stale(ca: IssuingCa): boolean {
    return checksKeyState(ca.signer) && this.#nowMs() - this.#known.get(ca.name)!.atMs >= this.#intervalMs;
  }

  /** Asks the signer; a question already in flight is answered first, then, if a failure came since, asked anew. */
  #ask(ca: IssuingCa): Promise<void> {
    const signer = ca.signer;
    const known = this.#known.get(ca.name)!;
    if (!checksKeyState(signer)) return Promise.resolve();
    if (known.asking) {
      const epoch = known.epoch;
      return known.asking.then(() => (known.epoch === epoch ? undefined : this.#ask(ca)));
    }
    const epoch = known.epoch;
    known.atMs = this.#nowMs();
    known.asking = signer
      .checkKey()
      .catch((e: unknown): KeyState => ({ usable: false, reason: "misconfigured", detail: isKubecaError(e) ? e.detail : "the key check failed" }))
      .then((state) => {
        known.asking = undefined;
        if (known.epoch !== epoch) return this.#ask(ca); // a signature failed meanwhile: this answer may predate it
        // Throttled says nothing about the key: keep what was known.
        if (!state.usable && state.reason === "throttled") return;
        known.state = state;
        known.atMs = this.#nowMs();
      });
    return known.asking;
  }
}
