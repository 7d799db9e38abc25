// The one way a failed signature becomes an audit event, for the issuance pipeline and the kubelet
// signer alike: which CA, the code the caller got, and the reason from a closed set.
import { isKubecaError } from "../errors/index.js";
import { isSignerError } from "../signers/signer-error.js";
import type { AuditFailure } from "./types.js";

/** What to record about `error`, thrown while `issuer` signed. The detail goes to the record's message. */
export function signingFailure(issuer: string, error: unknown): { failure: AuditFailure; message: string } {
  if (isSignerError(error)) return { failure: { issuer, code: error.code, reason: error.reason }, message: error.detail };
  if (isKubecaError(error) && error.code === "KUBECA_CA_INVALID") return { failure: { issuer, code: error.code, reason: "ca-expired" }, message: error.detail };
  if (isKubecaError(error)) return { failure: { issuer, code: error.code, reason: "internal" }, message: error.detail };
  // Not ours: its text may hold anything, so only that it happened is recorded.
  return { failure: { issuer, code: "KUBECA_INTERNAL", reason: "internal" }, message: "an unexpected error; the service log has it under this request id" };
}
