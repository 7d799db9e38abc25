// A worker's side of the IPC channel to its primary: numbered calls, each answered once. When the
// channel closes (the primary died), every call waiting and every later one is refused with the
// code its caller maps to a 503: nothing is signed or answered without the primary's record.
import type { ErrorCode } from "../../errors/codes.js";
import { KubecaError } from "../../errors/index.js";
import type { RememberedIssuance } from "../../issuance/idempotency-store.js";
import { Outbox, unbatch } from "./outbox.js";
import { fromWireError, type CallResults, type PrimaryMessage, type WireError, type WorkerCall, type WorkerMessage } from "./protocol.js";

/** What the worker needs of its process: node:cluster's worker `process` fits. */
export interface IpcEndpoint {
  send?(message: unknown, callback: (error: Error | null) => void): boolean;
  readonly connected?: boolean;
  on(event: "message", listener: (message: unknown) => void): unknown;
  on(event: "disconnect", listener: () => void): unknown;
}

interface Waiting {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly lostCode: ErrorCode;
}

const RETRY_AFTER_SECONDS = 5;

function lost(code: ErrorCode): KubecaError {
  return new KubecaError(code, "this server process lost its primary process, which keeps the audit log; nothing was signed", {
    retryAfter: RETRY_AFTER_SECONDS,
  });
}

export class PrimaryChannel {
  readonly #endpoint: IpcEndpoint;
  readonly #waiting = new Map<number, Waiting>();
  readonly #outbox: Outbox<WorkerMessage>;
  #next = 1;
  #closed = false;

  constructor(endpoint: IpcEndpoint, onOther: (message: PrimaryMessage) => void) {
    this.#endpoint = endpoint;
    this.#outbox = new Outbox((message) => {
      try {
        // With a callback a broken pipe (the primary died) is not an unhandled 'error' event; the
        // disconnect handler refuses what waits.
        if (!this.#closed && this.#endpoint.connected !== false) this.#endpoint.send?.(message, () => undefined);
      } catch {
        // The channel closed since: the disconnect handler refuses what waits.
      }
    });
    endpoint.on("message", (raw) => {
      for (const message of unbatch(raw as PrimaryMessage)) {
        if (message.kind !== "answer") {
          onOther(message);
          continue;
        }
        const waiting = this.#waiting.get(message.id);
        if (!waiting) continue;
        this.#waiting.delete(message.id);
        if ("error" in message) waiting.reject(fromWireError(message.error as WireError));
        else waiting.resolve(message.value);
      }
    });
    endpoint.on("disconnect", () => {
      this.#closed = true;
      for (const w of this.#waiting.values()) w.reject(lost(w.lostCode));
      this.#waiting.clear();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * One request, one answer. `lostCode`: the refusal when the primary is gone (the audit log's own
   * code for appends, so the pipeline fails closed exactly as with a broken store). Returns the call id
   * with the answer, for the idempotency outcome that follows an "issue".
   */
  call<C extends WorkerCall>(call: C, lostCode: ErrorCode): Promise<{ id: number; value: CallResults[C["op"]] }> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      if (this.#closed || !this.#send({ kind: "call", id, call })) return reject(lost(lostCode));
      this.#waiting.set(id, { resolve: (value) => resolve({ id, value: value as CallResults[C["op"]] }), reject, lostCode });
    });
  }

  /** After an idempotency-run answered "issue": what was issued (undefined: the attempt failed). */
  reportIssued(id: number, entry: RememberedIssuance | undefined): void {
    this.#send({ kind: "idempotency-outcome", id, entry });
  }

  send(message: WorkerMessage): void {
    this.#send(message);
  }

  /** Writes what waits in the outbox now (before the channel is let go). */
  flush(): void {
    this.#outbox.flush();
  }

  #send(message: WorkerMessage): boolean {
    if (this.#closed || !this.#endpoint.send || this.#endpoint.connected === false) return false;
    this.#outbox.push(message);
    return true;
  }
}
