// An authenticator turns request credentials into a Caller, or refuses with KUBECA_UNAUTHENTICATED.
// It returns data, never power: policy decides what the Caller may receive.
import type { Caller } from "./caller.js";

export interface CredentialInput {
  /** Lower-cased header names, as node's http module gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly method: string;
  /** Path with query string. */
  readonly url: string;
  readonly body: Uint8Array | undefined;
  /**
   * The caller's IAM ARN as API Gateway's IAM authorization established it (it checked the SigV4
   * signature). Set only by the Lambda handler, from the event's request context; never from a header.
   */
  readonly awsIamPrincipal?: string | undefined;
}

export interface Authenticator {
  /** Throws KubecaError KUBECA_UNAUTHENTICATED (detail says why, never echoing the credential). */
  authenticate(input: CredentialInput): Promise<Caller>;
}
