// Which proof ids (jti) were already used. A proof is single-use: the second request carrying a jti is
// refused even inside the iat window. An entry must live at least until its proof's iat leaves that
// window; after that the iat check refuses the proof anyway, so the entry may go.
export interface ReplayCache {
  /**
   * Records `jti` until `expiresAt` (epoch seconds). Resolves true when this call recorded it, false when
   * it was already there. Rejects with KubecaError KUBECA_NOT_READY when the store cannot answer.
   */
  claim(jti: string, expiresAt: number, nowSeconds: number): Promise<boolean>;
}

export interface MemoryReplayCacheOptions {
  /** Sweep expired entries once this many claims were made since the last sweep (default 1,000). */
  readonly sweepEvery?: number;
}

/**
 * One process's cache (kubeca serve). Only proofs that passed every other check reach it, so its size
 * is bounded by the accepted request rate over the window, not by what an attacker sends.
 */
export function createMemoryReplayCache(options: MemoryReplayCacheOptions = {}): ReplayCache & { readonly size: () => number } {
  const sweepEvery = options.sweepEvery ?? 1000;
  const entries = new Map<string, number>();
  let sinceSweep = 0;

  function sweep(nowSeconds: number): void {
    for (const [jti, expiresAt] of entries) if (expiresAt < nowSeconds) entries.delete(jti);
    sinceSweep = 0;
  }

  return {
    async claim(jti, expiresAt, nowSeconds) {
      if (++sinceSweep >= sweepEvery) sweep(nowSeconds);
      const known = entries.get(jti);
      // An expired entry is as good as absent: its proof's iat is outside the window now.
      if (known !== undefined && known >= nowSeconds) return false;
      entries.set(jti, expiresAt);
      return true;
    },
    size: () => entries.size,
  };
}
