// When to sign the head: when a record's seq is a multiple of `everyRecords` (so concurrent writers of
// one DynamoDB chain agree without talking), or when `everyMs` has passed since the last checkpoint
// with records still unproved. Checkpoints never delay or fail an append: the record is already
// stored, and a checkpoint that fails is reported and tried again at the next opportunity.
import type { Signer } from "../signers/signer.js";
import { signCheckpoint, type AuditCheckpoint } from "./checkpoint.js";
import type { ChainHead } from "./record.js";
import { SerialQueue } from "./serial-queue.js";

export interface CheckpointPolicy {
  readonly everyRecords: number;
  readonly everyMs: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { everyRecords: 100, everyMs: 5 * 60_000 };

export interface CheckpointScheduleOptions extends CheckpointPolicy {
  readonly signer: Signer;
  readonly now: () => Date;
  /** Stores one checkpoint durably; rejects when it could not. */
  readonly write: (checkpoint: AuditCheckpoint) => Promise<void>;
  /** A checkpoint could not be signed or stored (the records are stored regardless). */
  readonly onError: (error: unknown) => void;
  /** After a checkpoint is stored (the stdout mirror). */
  readonly onCheckpoint?: (checkpoint: AuditCheckpoint) => void;
}

export class CheckpointSchedule {
  readonly #o: CheckpointScheduleOptions;
  readonly #queue = new SerialQueue();
  #head: ChainHead | undefined;
  #provedSeq = 0;
  #lastAttemptMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: CheckpointScheduleOptions) {
    this.#o = options;
    this.#lastAttemptMs = options.now().getTime();
  }

  /** Called after each stored record. Returns at once; the checkpoint, if due, is made in the background. */
  recorded(head: ChainHead): void {
    if (!this.#head || head.seq > this.#head.seq) this.#head = head;
    // A multiple of everyRecords proves exactly that record, even when later appends land before the
    // checkpoint job runs: writers of one chain must agree on which seqs carry a checkpoint.
    if (head.seq % this.#o.everyRecords === 0) void this.#checkpoint(head);
    else if (this.#o.now().getTime() - this.#lastAttemptMs >= this.#o.everyMs) void this.#checkpoint();
    else this.#arm();
  }

  /** Signs the head now if it is not proved yet, and waits for it (shutdown, tests). */
  async flush(): Promise<void> {
    this.#disarm();
    await this.#checkpoint();
  }

  // A quiet log still gets its last records proved within everyMs of the last checkpoint. unref():
  // the timer alone must not keep a process alive; in Lambda it may never fire, and the next append's
  // time rule takes over.
  #arm(): void {
    if (this.#timer) return;
    const delay = Math.max(0, this.#lastAttemptMs + this.#o.everyMs - this.#o.now().getTime());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#checkpoint();
    }, delay);
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Proves `at`, or the newest head when none is named. */
  #checkpoint(at?: ChainHead): Promise<void> {
    return this.#queue
      .run(async () => {
        const head = at ?? this.#head;
        if (!head || head.seq <= this.#provedSeq) return;
        this.#disarm();
        // Counted from the attempt, so a KMS outage costs one try per interval, not one per append.
        this.#lastAttemptMs = this.#o.now().getTime();
        const checkpoint = await signCheckpoint(this.#o.signer, head, this.#o.now().toISOString());
        await this.#o.write(checkpoint);
        this.#provedSeq = head.seq;
        this.#o.onCheckpoint?.(checkpoint);
      })
      .catch((error: unknown) => this.#o.onError(error));
  }
}
