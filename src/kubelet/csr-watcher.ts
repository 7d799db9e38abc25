// List, then watch from the list's resourceVersion, telling the queue about every change. Objects
// are passed on only as hints: watch events are raw JSON (no Date fields), so workers read a fresh,
// typed copy before writing. A watch that ends is resumed from the last version seen (bookmarks keep it
// fresh); one that answers 410 Gone is replaced by a new list. A periodic re-list catches anything
// a watch might have missed.
import { Watch, type KubeConfig, type V1CertificateSigningRequest } from "@kubernetes/client-node";
import { statusOf } from "./api-errors.js";
import type { CsrApi } from "./csr-api.js";
import type { KubeletLog } from "./kubelet-log.js";

export const CSR_PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

export interface CsrWatcherOptions {
  readonly resyncMs: number;
  /** Pause after a failed list or a broken watch. */
  readonly retryMs: number;
  readonly log: KubeletLog;
  /** Called for every CSR added, changed or re-listed, with the object as received. */
  readonly onChange: (name: string, csr: V1CertificateSigningRequest) => void;
  readonly onDelete: (name: string) => void;
  /** A watch ended and another starts (after a list when it expired). */
  readonly onWatchEnd?: (end: WatchEnd) => void;
}

type WatchEnd = "expired" | "closed" | "broken";

export class CsrWatcher {
  /** Names seen, so a re-list can report deletions a broken watch missed. */
  private readonly known = new Set<string>();
  private readonly watch: Watch;
  private running = false;
  private abort: AbortController | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private synced = false;
  /** When the apiserver last answered a list or sent a watch event (bookmarks included). */
  private lastContactMs = Number.NEGATIVE_INFINITY;
  /** Counters for tests and the readiness probe. */
  readonly stats = { lists: 0, watches: 0, expired: 0 };

  constructor(
    kc: KubeConfig,
    private readonly api: CsrApi,
    private readonly options: CsrWatcherOptions,
  ) {
    this.watch = new Watch(kc);
  }

  /** True once the first list has succeeded. */
  get hasSynced(): boolean {
    return this.synced;
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
      this.relist().catch((e) => this.options.log.warn("csr resync failed", { error: String(e) }));
    }, this.options.resyncMs);
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.resyncTimer);
    this.abort?.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let rv: string;
      try {
        rv = await this.relist();
      } catch (e) {
        this.options.log.warn("csr list failed", { error: String(e) });
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
          this.options.log.info("csr watch expired, listing again", { resourceVersion: rv });
          break;
        }
        if (end === "broken") await this.sleep(this.options.retryMs);
      }
    }
  }

  /** List every CSR and hand each to the queue; returns the list's version. */
  private async relist(): Promise<string> {
    const { items, resourceVersion } = await this.api.list();
    this.lastContactMs = performance.now();
    this.stats.lists++;
    const seen = new Set<string>();
    for (const csr of items) {
      const name = csr.metadata?.name;
      if (!name) continue;
      seen.add(name);
      this.known.add(name);
      this.options.onChange(name, csr);
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
    return new Promise((resolve) => {
      const done = (err: unknown) => {
        if (expired || statusOf(err) === 410) return resolve({ end: "expired", lastRv });
        if (err && this.running) this.options.log.info("csr watch ended", { error: String((err as Error)?.message ?? err) });
        resolve({ end: err ? "broken" : "closed", lastRv });
      };
      const onEvent = (type: string, obj: any) => {
        this.lastContactMs = performance.now();
        if (type === "ERROR") {
          // A Status object: 410 means our version was compacted away; anything else, start over.
          expired = obj?.code === 410;
          if (!expired) this.options.log.warn("csr watch error event", { status: obj?.code, message: obj?.message });
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
          this.options.onChange(name, obj as V1CertificateSigningRequest);
        }
      };
      // Server-side timeout with jitter, as client-go does, so streams are renewed regularly.
      const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
      this.watch
        .watch(CSR_PATH, { resourceVersion: fromRv, allowWatchBookmarks: true, timeoutSeconds }, onEvent, done)
        .then((abort) => {
          this.abort = abort;
          if (!this.running) abort.abort();
        })
        .catch(done);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms).unref());
  }
}
