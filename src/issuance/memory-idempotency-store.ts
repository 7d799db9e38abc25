// The idempotency store of one server process: a Map in insertion order, bounded, entries expiring at
// their window's end. Expired entries are dropped as they are met and, when full, from the oldest end.
import type { IdempotencyStore, RememberedIssuance } from "./idempotency-store.js";

interface Slot {
  readonly entry: RememberedIssuance;
  readonly expiresAt: number;
}

export function createMemoryIdempotencyStore(maxEntries: number): IdempotencyStore & { readonly size: () => number } {
  const slots = new Map<string, Slot>();

  function evict(now: number): void {
    // Insertion order is expiry order (one window for all), so expired entries sit at the front.
    for (const [key, slot] of slots) {
      if (slot.expiresAt > now && slots.size <= maxEntries) break;
      slots.delete(key);
    }
  }

  return {
    size: () => slots.size,
    async get(key: string, now: Date): Promise<RememberedIssuance | undefined> {
      const slot = slots.get(key);
      if (slot === undefined) return undefined;
      if (slot.expiresAt <= now.getTime()) {
        slots.delete(key);
        return undefined;
      }
      return slot.entry;
    },
    async put(key: string, entry: RememberedIssuance, expiresAt: Date, now: Date): Promise<void> {
      const current = slots.get(key);
      if (current !== undefined && current.expiresAt > now.getTime()) return;
      slots.delete(key);
      slots.set(key, { entry, expiresAt: expiresAt.getTime() });
      evict(now.getTime());
    },
  };
}
