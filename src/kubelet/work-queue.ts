// A keyed work queue like client-go's: a key is queued at most once; a key added while it is being
// processed is processed again afterwards (never twice at once); failures back off per key,
// exponentially; `addAfter` schedules a later look (waiting for a Node).
import type { KubeletLog } from "./kubelet-log.js";

export interface WorkQueueOptions {
  readonly concurrency: number;
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly log: KubeletLog;
}

/** The handler returns a delay to look again later, or undefined when done with the key. */
export type WorkHandler = (key: string) => Promise<number | undefined>;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly idleWaiters: (() => void)[] = [];
  private running = false;

  constructor(
    private readonly handler: WorkHandler,
    private readonly options: WorkQueueOptions,
  ) {}

  start(): void {
    this.running = true;
    this.pump();
  }

  /** Stop taking keys and drop timers; resolves when in-flight keys have finished. */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    while (this.processing.size > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  add(key: string): void {
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.timers.has(key)) return;
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    t.unref();
    this.timers.set(key, t);
  }

  /** Drop a key (its object was deleted). */
  forget(key: string): void {
    this.failures.delete(key);
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  get length(): number {
    return this.queue.length + this.processing.size;
  }

  /** Resolves when nothing is queued or in flight (scheduled retries may remain). */
  async drained(): Promise<void> {
    while (this.length > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.running && this.processing.size < this.options.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    try {
      const later = await this.handler(key);
      this.failures.delete(key);
      if (later !== undefined && this.running) this.addAfter(key, later);
    } catch (e) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = Math.min(this.options.maxBackoffMs, this.options.baseBackoffMs * 2 ** (n - 1));
      this.options.log.warn("csr retry", { csr: key, attempt: n, retryInMs: delay, error: describe(e) });
      if (this.running) this.addAfter(key, delay);
    } finally {
      this.processing.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
      if (this.processing.size === 0 || this.length === 0) this.idleWaiters.splice(0).forEach((r) => r());
    }
  }
}

function describe(e: unknown): string {
  const detail = (e as { detail?: unknown })?.detail;
  return typeof detail === "string" ? detail : e instanceof Error ? e.message : String(e);
}
