// List, then watch from the list's resourceVersion, telling the owner about every change (CSRs for
// the work queue, Nodes for the Node cache). Watch events are raw JSON (no Date fields): the CSR queue
// takes them as hints and reads a fresh, typed copy before writing. A watch that ends is resumed from
// the last version seen (bookmarks keep it fresh); one that answers 410 Gone is replaced by a new
// list. A periodic re-list catches anything a watch might have missed.
import { Watch, type KubeConfig } from "@kubernetes/client-node";
import { statusOf } from "./api-errors.js";
import type { KubeletLog } from "./kubelet-log.js";

export const CSR_PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
export const NODE_PATH = "/api/v1/nodes";

interface Named {
  readonly metadata?: { readonly name?: string };
}

/** One list: the items and the version to watch from. */
export type Lister<T> = () => Promise<{ items: T[]; resourceVersion: string }>;

export interface ListWatcherOptions<T> {
  /** What is watched, for log lines: "csr", "node". */
  readonly kind: string;
  readonly resyncMs: number;
  /** Pause after a failed list or a broken watch. */
  readonly retryMs: number;
  readonly log: KubeletLog;
  /** Called for every object added, changed or re-listed, as received. */
  readonly onChange: (name: string, object: T) => void;
  readonly onDelete: (name: string) => void;
  /** A watch ended and another starts (after a list when it expired). */
  readonly onWatchEnd?: (end: WatchEnd) => void;
}

type WatchEnd = "expired" | "closed" | "broken";

export class ListWatcher<T extends Named> {
  /** Names seen, so a re-list can report deletions a broken watch missed. */
  private readonly known = new Set<string>();
  private readonly watch: Watch;
  private running = false;
  private abort: AbortController | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private synced = false;
  private wake: (() => void) | undefined;
  /** A watch stream is open, and has been since the last list: every change since then has reached onChange. */
  private watching = false;
  /** When the apiserver last answered a list or sent a watch event (bookmarks included). */
  private lastContactMs = Number.NEGATIVE_INFINITY;
  /** Counters for tests and the readiness probe. */
  readonly stats = { lists: 0, watches: 0, expired: 0 };

  constructor(
    kc: KubeConfig,
    private readonly path: string,
    private readonly list: Lister<T>,
    private readonly options: ListWatcherOptions<T>,
  ) {
    this.watch = new Watch(kc);
  }

  /** True once the first list has succeeded. */
  get hasSynced(): boolean {
    return this.synced;
  }

  /** Synced and watching without a gap: what onChange has seen is what the apiserver has sent since. */
  get live(): boolean {
    return this.running && this.synced && this.watching;
  }

  /**
   * Synced, and the apiserver answered a list or sent a watch event within `withinMs`. Watches ask
   * for bookmarks, which the apiserver sends about once a minute, so a quiet healthy watch speaks
   * within any bound above that.
   */
  reachedWithin(withinMs: number): boolean {
    return this.synced && performance.now() - this.lastContactMs < withinMs;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
    this.resyncTimer = setInterval(() => {
      this.relist().catch((e) => this.options.log.warn(`${this.options.kind} resync failed`, { error: String(e) }));
    }, this.options.resyncMs);
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.resyncTimer);
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let rv: string;
      try {
        rv = await this.relist();
      } catch (e) {
        this.options.log.warn(`${this.options.kind} list failed`, { error: String(e) });
        await this.sleep(this.options.retryMs);
        continue;
      }
      // Resume the watch until the apiserver says our version is gone.
      while (this.running) {
        const { end, lastRv } = await this.watchOnce(rv);
        rv = lastRv;
        if (this.running) this.options.onWatchEnd?.(end);
        if (end === "expired") {
          this.stats.expired++;
          this.options.log.info(`${this.options.kind} watch expired, listing again`, { resourceVersion: rv });
          break;
        }
        if (end === "broken") await this.sleep(this.options.retryMs);
      }
    }
  }

  /** List every object and hand each to onChange; returns the list's version. */
  private async relist(): Promise<string> {
    const { items, resourceVersion } = await this.list();
    this.lastContactMs = performance.now();
    this.stats.lists++;
    const seen = new Set<string>();
    for (const object of items) {
      const name = object.metadata?.name;
      if (!name) continue;
      seen.add(name);
      this.known.add(name);
      this.options.onChange(name, object);
    }
    for (const name of [...this.known]) {
      if (!seen.has(name)) {
        this.known.delete(name);
        this.options.onDelete(name);
      }
    }
    this.synced = true;
    return resourceVersion;
  }

  private watchOnce(fromRv: string): Promise<{ end: WatchEnd; lastRv: string }> {
    let lastRv = fromRv;
    let expired = false;
    this.stats.watches++;
    let ended = false;
    return new Promise((resolve) => {
      const done = (err: unknown) => {
        ended = true;
        this.watching = false;
        if (expired || statusOf(err) === 410) return resolve({ end: "expired", lastRv });
        if (err && this.running) this.options.log.info(`${this.options.kind} watch ended`, { error: String((err as Error)?.message ?? err) });
        resolve({ end: err ? "broken" : "closed", lastRv });
      };
      const onEvent = (type: string, obj: any) => {
        this.lastContactMs = performance.now();
        if (type === "ERROR") {
          // A Status object: 410 means our version was compacted away; anything else, start over.
          expired = obj?.code === 410;
          if (!expired) this.options.log.warn(`${this.options.kind} watch error event`, { status: obj?.code, message: obj?.message });
          this.abort?.abort();
          return;
        }
        const rv = obj?.metadata?.resourceVersion;
        if (typeof rv === "string" && rv !== "") lastRv = rv;
        if (type === "BOOKMARK") return;
        const name = obj?.metadata?.name;
        if (typeof name !== "string") return;
        if (type === "DELETED") {
          this.known.delete(name);
          this.options.onDelete(name);
        } else {
          this.known.add(name);
          this.options.onChange(name, obj as T);
        }
      };
      // Server-side timeout with jitter, as client-go does, so streams are renewed regularly.
      const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
      this.watch
        .watch(this.path, { resourceVersion: fromRv, allowWatchBookmarks: true, timeoutSeconds }, onEvent, done)
        .then((abort) => {
          this.abort = abort;
          // Connected (client-node also resolves after a failed request, having called done first):
          // from here on every change reaches onChange until done() says otherwise.
          if (!ended) this.watching = true;
          if (!this.running) abort.abort();
        })
        .catch(done);
    });
  }

  /** Unref'd, and cut short by stop(): a stopped watcher must not wait on a timer nothing else keeps alive. */
  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((r) => {
      const timer = setTimeout(r, ms).unref();
      this.wake = () => {
        clearTimeout(timer);
        r();
      };
    });
  }
}
