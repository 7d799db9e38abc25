// The primary's side of the calls its workers make: each answered from the one audit log, idempotency
// window, set of rate-limit buckets and replay cache this process holds.
import type { RememberedIssuance } from "../../issuance/idempotency-store.js";
import type { PrimaryServices } from "../create-app.js";
import type { LocalRateLimiter } from "../rate-limiter.js";
import { toWireError, type PrimaryMessage, type WorkerCall, type WorkerMessage } from "./protocol.js";

/** What the workers reach over IPC (remote-services.ts), held here: the rate limiter answers at once. */
export interface SharedState extends PrimaryServices {
  readonly rateLimiter: LocalRateLimiter;
}

/** One worker as the answerer sees it. Sending to a worker that has gone does nothing. */
export interface WorkerLink {
  readonly id: number;
  send(message: PrimaryMessage): void;
}

interface Issuing {
  readonly worker: number;
  readonly resolve: (entry: RememberedIssuance) => void;
  readonly reject: (error: unknown) => void;
}

export interface CallAnswerer {
  handle(worker: WorkerLink, message: Extract<WorkerMessage, { kind: "call" | "idempotency-outcome" }>): void;
  /** The worker exited: its signatures in progress will never be reported; identical requests waiting on them try themselves. */
  workerGone(worker: number): void;
}

class WorkerAttemptFailed extends Error {}

export function createCallAnswerer(state: SharedState, onError: (what: string, error: unknown) => void): CallAnswerer {
  const issuing = new Map<string, Issuing>();

  function answer(worker: WorkerLink, id: number, call: WorkerCall): void {
    const reply = (value: unknown) => worker.send({ kind: "answer", id, value });
    const fail = (error: unknown) => {
      if (!(error instanceof Error && "code" in error)) onError(`answering ${call.op} for worker ${worker.id}`, error);
      worker.send({ kind: "answer", id, error: toWireError(error) });
    };
    switch (call.op) {
      case "audit-append":
        state.audit.append(call.event).then(reply, fail);
        return;
      case "admit":
        try {
          state.rateLimiter.admit(call.caller, call.cost);
          reply(null);
        } catch (e) {
          fail(e);
        }
        return;
      case "admit-refused":
        try {
          state.rateLimiter.admitRefusedCredential(call.sourceIp);
          reply(null);
        } catch (e) {
          fail(e);
        }
        return;
      case "replay-claim":
        state.replayCache.claim(call.jti, call.expiresAt, call.nowSeconds).then(reply, fail);
        return;
      case "readiness":
        state.readiness().then(reply, fail);
        return;
      case "rotation-change":
        state.changeRotation(call.caller, call.origin, call.change).then(reply, fail);
        return;
      case "metrics":
        state.metrics().then(reply, fail);
        return;
      case "idempotency-run": {
        let answered = false;
        state.idempotency
          .run(call.key, {
            issue: () =>
              new Promise<RememberedIssuance>((resolve, reject) => {
                issuing.set(`${worker.id}:${id}`, { worker: worker.id, resolve, reject });
                answered = true;
                reply({ action: "issue" });
              }),
            replay: async (prior) => {
              answered = true;
              reply({ action: "replay", prior });
              return prior.result;
            },
          })
          .catch((e) => {
            // After "issue" the worker holds its own error; before any answer, this is the answer.
            if (!answered) fail(e);
            else if (!(e instanceof WorkerAttemptFailed)) onError("idempotency window", e);
          });
        return;
      }
    }
  }

  return {
    handle(worker, message) {
      if (message.kind === "call") return answer(worker, message.id, message.call);
      const key = `${worker.id}:${message.id}`;
      const attempt = issuing.get(key);
      if (!attempt) return;
      issuing.delete(key);
      if (message.entry) attempt.resolve(message.entry);
      else attempt.reject(new WorkerAttemptFailed("the worker's signature or audit record failed"));
    },
    workerGone(worker) {
      for (const [key, attempt] of issuing) {
        if (attempt.worker !== worker) continue;
        issuing.delete(key);
        attempt.reject(new WorkerAttemptFailed(`worker ${worker} exited while signing`));
      }
    },
  };
}
