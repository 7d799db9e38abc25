// The newest copy the CSR watch delivered of each CSR nobody has acted on yet (no condition, no
// certificate), so a worker can decide on it without a GET first (issue 11: a round trip per CSR).
// Why that is as safe as the GET: the copy is only ever used for the first decision (approve, deny
// or fail), and that write carries the copy's resourceVersion, so a copy gone stale meets a 409 and
// apply.ts re-reads and re-checks before writing anything. A certificate is only ever signed on the
// object a successful approval write returned, or on a fresh GET: a copy showing any condition is
// not kept. Each copy is taken once; the key's next pass reads the CSR (or a newer event's copy).
// Copies are used only while the watch is live (list-watcher.ts), and are parsed into typed objects
// (Date fields) only when taken.
import type { V1CertificateSigningRequest } from "@kubernetes/client-node";
// Not in the package's index; the same deserializer the typed API calls use on every response.
import { ObjectSerializer } from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";

export class UntouchedCsrs {
  private readonly copies = new Map<string, unknown>();

  /** A CSR as listed or watched: kept while untouched, dropped once anything acted on it. */
  offer(name: string, csr: V1CertificateSigningRequest): void {
    if (untouched(csr)) this.copies.set(name, csr);
    else this.copies.delete(name);
  }

  forget(name: string): void {
    this.copies.delete(name);
  }

  clear(): void {
    this.copies.clear();
  }

  /** The kept copy as a typed object, once; undefined when there is none (read the CSR instead). */
  take(name: string): V1CertificateSigningRequest | undefined {
    const copy = this.copies.get(name);
    if (copy === undefined) return undefined;
    this.copies.delete(name);
    // Listed items are typed already (the apiserver always sets creationTimestamp); watch events are raw JSON.
    const typed = (copy as V1CertificateSigningRequest).metadata?.creationTimestamp instanceof Date;
    return (typed ? copy : ObjectSerializer.deserialize(copy, "V1CertificateSigningRequest", "")) as V1CertificateSigningRequest;
  }

  get size(): number {
    return this.copies.size;
  }
}

function untouched(csr: V1CertificateSigningRequest): boolean {
  return (csr.status?.conditions ?? []).length === 0 && !csr.status?.certificate;
}
