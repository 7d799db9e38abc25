// Where issued certificates are remembered for the idempotency window, and the key they are found by.
// Two implementations: memory (one server process) and DynamoDB (many Lambda instances).
import { hash } from "node:crypto";
import type { AuditResult } from "../audit/types.js";
import type { Caller } from "../auth/caller.js";
import type { SignResult } from "./types.js";

/** One successful issuance, as answered and as audited; only stored after its audit record. */
export interface RememberedIssuance {
  readonly result: SignResult;
  /** What the `issued` record said about the certificate; a `reissued` record repeats it. */
  readonly audit: AuditResult;
  /** The request that signed it, named in the `reissued` record. */
  readonly requestId: string | undefined;
}

export interface IdempotencyStore {
  /** The issuance remembered under `key`, unless it expired by `now`. */
  get(key: string, now: Date): Promise<RememberedIssuance | undefined>;
  /** Remember until `expiresAt`. An unexpired entry under the same key is kept (the first issuance wins). */
  put(key: string, entry: RememberedIssuance, expiresAt: Date, now: Date): Promise<void>;
}

/**
 * Same caller (method, subject, node), same file (canonical profile, so `etcd-server` = `etcd/server`),
 * same CSR bytes, same issuing CA certificate. Hashed: a fixed-size key that does not spell out
 * identities in the store.
 */
export function idempotencyKey(caller: Caller, profile: string, csrSha256: string, caSha256: string): string {
  const parts = [caller.method, caller.subject, caller.node ?? "", profile, csrSha256, caSha256];
  return hash("sha256", JSON.stringify(parts), "hex");
}
