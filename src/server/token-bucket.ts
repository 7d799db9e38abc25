// A token bucket: holds at most `burst` tokens, refilled continuously at `ratePerSecond`. Time is a
// parameter (milliseconds from any fixed origin), so tests pin it.
export interface BucketSettings {
  readonly ratePerSecond: number;
  readonly burst: number;
}

export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly settings: BucketSettings,
    nowMs: number,
  ) {
    this.#tokens = settings.burst;
    this.#at = nowMs;
  }

  #refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.#at) / 1000;
    this.#tokens = Math.min(this.settings.burst, this.#tokens + elapsed * this.settings.ratePerSecond);
    this.#at = nowMs;
  }

  /** Tokens available now (fractional while refilling). */
  available(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens;
  }

  /** Seconds until `cost` tokens are there (0 when they are now). A cost above the burst waits for a full bucket. */
  waitSeconds(cost: number, nowMs: number): number {
    const need = Math.min(cost, this.settings.burst) - this.available(nowMs);
    return need <= 0 ? 0 : need / this.settings.ratePerSecond;
  }

  /** Takes `cost` tokens; call only after waitSeconds said 0. */
  take(cost: number, nowMs: number): void {
    this.#refill(nowMs);
    this.#tokens = Math.max(0, this.#tokens - Math.min(cost, this.settings.burst));
  }

  /** Full again: nothing to remember about this caller. */
  isFull(nowMs: number): boolean {
    return this.available(nowMs) >= this.settings.burst;
  }
}
