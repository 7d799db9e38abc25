// At most `size` PKCS#11 sessions for one signer in this process. A session runs one signature at a
// time (C_SignInit then C_Sign), so concurrent requests take different sessions and the rest wait
// in arrival order. Sessions open lazily, up to the limit; a failed one is discarded, never reused.

export interface SessionPoolOptions {
  readonly size: number;
  /** Opens (and logs in) a session; throws when the token cannot be reached. */
  readonly open: () => Buffer;
  readonly close: (session: Buffer) => void;
}

interface Waiter {
  resolve(session: Buffer): void;
  reject(error: unknown): void;
}

export class SessionPool {
  readonly #options: SessionPoolOptions;
  readonly #idle: Buffer[] = [];
  readonly #waiters: Waiter[] = [];
  #open = 0;
  #closed = false;

  constructor(options: SessionPoolOptions, first?: Buffer) {
    this.#options = options;
    if (first) {
      this.#idle.push(first);
      this.#open = 1;
    }
  }

  /** Sessions open now, idle or in use. */
  get openCount(): number {
    return this.#open;
  }

  acquire(): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new Error("the PKCS#11 session pool is closed"));
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#open < this.#options.size) {
      try {
        return Promise.resolve(this.#openOne());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Hands a healthy session back (to the next waiter, or the idle list). */
  release(session: Buffer): void {
    if (this.#closed) return this.#drop(session);
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(session);
    else this.#idle.push(session);
  }

  /** Closes a session that failed; the next waiter gets a new one in its place. */
  discard(session: Buffer): void {
    this.#drop(session);
    const waiter = this.#waiters.shift();
    if (!waiter) return;
    try {
      waiter.resolve(this.#openOne());
    } catch (e) {
      waiter.reject(e);
    }
  }

  /** Closes every idle session: the token lost one of ours, so the ones opened with it are suspect too. */
  discardIdle(): void {
    for (const s of this.#idle.splice(0)) this.#drop(s);
  }

  /** Closes every idle session now and each busy one when it comes back; waiters are refused. */
  close(): void {
    this.#closed = true;
    for (const s of this.#idle.splice(0)) this.#drop(s);
    for (const w of this.#waiters.splice(0)) w.reject(new Error("the PKCS#11 session pool is closed"));
  }

  #openOne(): Buffer {
    this.#open++;
    try {
      return this.#options.open();
    } catch (e) {
      this.#open--;
      throw e;
    }
  }

  #drop(session: Buffer): void {
    this.#open--;
    this.#options.close(session);
  }
}
