// The contract between the transports (server/, lambda/, cli/) and the issuance pipeline.
import type { Caller, RequestOrigin } from "../auth/caller.js";
import type { CaName } from "../config/index.js";
import type { KubecaError } from "../errors/index.js";

export interface SignItem {
  /** kubeadm file name: `apiserver`, `etcd/server`, `admin.conf`, or a legacy `--csr-only` name such as `etcd-server`. */
  readonly name: string;
  /** PEM text, or base64 DER. */
  readonly csr: string;
}

export interface SignResult {
  readonly name: string;
  /** Canonical profile name (the generate-csr name). */
  readonly profile: string;
  readonly issuer: CaName;
  /** Serial number, lowercase hex without leading zeros. */
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** Leaf certificate, PEM. */
  readonly certificate: string;
  /** The issuing CA's certificate, PEM. */
  readonly caCertificate: string;
}

export interface CaSummary {
  readonly name: CaName;
  readonly certificate: string;
}

export interface ReadinessCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface IssuanceService {
  /** Runs the whole pipeline for one item. Throws KubecaError on refusal or failure. */
  sign(caller: Caller, origin: RequestOrigin, item: SignItem): Promise<SignResult>;
  cas(): readonly CaSummary[];
  /** Records a refused credential in the audit log before the 401 is sent (fails closed like any append). */
  recordAuthenticationFailure(origin: RequestOrigin, reason: string): Promise<void>;
  /**
   * Records a request from an authenticated caller that was refused before the pipeline (its body broke
   * the schema), with the refusal's violations and the file name if it had one, before the answer.
   */
  recordRefusal(caller: Caller, origin: RequestOrigin, refusal: { readonly file: string | undefined; readonly error: KubecaError }): Promise<void>;
  /** Configuration, signers (public key == CA certificate) and the audit store. */
  readiness(): Promise<readonly ReadinessCheck[]>;
}
