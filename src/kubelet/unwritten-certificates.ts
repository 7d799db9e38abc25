// Certificates this run signed and recorded (kubelet-csr-signed, node-client-csr-signed) whose status
// write has not landed yet, by CSR name. A CSR whose write failed after signing (conflicts past the
// retries, a 5xx, a lost connection) is written later with the same certificate, so an apiserver
// hiccup never makes a second signature or a second record for one CSR. A certificate kubeca gives up
// on is recorded as kubelet-csr-unwritten (apply.ts), so the log never claims an issuance no node got.
// In memory only: a replica that dies holding one leaves its record unanswered (docs/kubelet-signer.md).
import type { V1CertificateSigningRequest } from "@kubernetes/client-node";
import type { IssuedCertificate, ParsedCsr } from "../pki/types.js";

export interface UnwrittenCertificate {
  /** The CSR as it was when signed (its uid tells a re-created CSR of the same name apart). */
  readonly csr: V1CertificateSigningRequest;
  readonly parsed: ParsedCsr;
  readonly certificate: IssuedCertificate;
  /** The CA's name, as the signed record has it. */
  readonly issuer: string;
  /** status.certificate exactly as written: base64 of the PEM. */
  readonly statusCertificate: string;
}

export class UnwrittenCertificates {
  readonly #byName = new Map<string, UnwrittenCertificate>();

  get(name: string): UnwrittenCertificate | undefined {
    return this.#byName.get(name);
  }

  keep(name: string, c: UnwrittenCertificate): void {
    this.#byName.set(name, c);
  }

  delete(name: string): void {
    this.#byName.delete(name);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  get size(): number {
    return this.#byName.size;
  }
}
