// Messages sent in one turn of the event loop leave as one: each IPC message is a write(2) on the
// channel's pipe, and under load a worker makes several calls per turn (profiled: the channel's writes
// were the largest single cost of a worker and of the primary). The receiver unwraps a batch in order.
import type { Batch } from "./protocol.js";

export class Outbox<M> {
  readonly #write: (message: M | Batch<M>) => void;
  #queued: M[] = [];

  constructor(write: (message: M | Batch<M>) => void) {
    this.#write = write;
  }

  push(message: M): void {
    if (this.#queued.push(message) === 1) setImmediate(() => this.flush());
  }

  flush(): void {
    const messages = this.#queued;
    if (messages.length === 0) return;
    this.#queued = [];
    this.#write(messages.length === 1 ? messages[0]! : { kind: "batch", messages });
  }
}

/** The messages in a received message, in the order they were sent. */
export function unbatch<M>(message: M | Batch<M>): readonly M[] {
  return typeof message === "object" && message !== null && (message as Batch<M>).kind === "batch" ? (message as Batch<M>).messages : [message as M];
}
