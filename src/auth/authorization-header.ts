// The Authorization header split into scheme and credentials (RFC 9110 §11.6.2), for the authenticator
// that dispatches on the scheme. Refusals name the problem, never the credential.
import { KubecaError } from "../errors/index.js";
import type { CredentialInput } from "./authenticator.js";
import { PROOF_SCHEME } from "./proof-format.js";

export interface AuthorizationHeader {
  /** As sent; compare case-insensitively. */
  readonly scheme: string;
  /** Everything after the scheme, trimmed; "" when there is nothing. */
  readonly credentials: string;
}

/** A scheme name short and plain enough to repeat in an error detail. */
const PRINTABLE_SCHEME = /^[A-Za-z][A-Za-z0-9-]{0,31}$/;

/** The header, or undefined when there is none. Several Authorization headers are refused. */
export function readAuthorization(headers: CredentialInput["headers"]): AuthorizationHeader | undefined {
  const header = headers["authorization"];
  if (header === undefined || header === "") return undefined;
  if (Array.isArray(header)) throw new KubecaError("KUBECA_UNAUTHENTICATED", "more than one Authorization header; send exactly one");
  const text = header.trim();
  const space = text.indexOf(" ");
  return space < 0 ? { scheme: text, credentials: "" } : { scheme: text.slice(0, space), credentials: text.slice(space + 1).trim() };
}

/**
 * `the Basic scheme`, or `an unsupported scheme` when the text is not a plain name followed by
 * credentials: a header holding only a bare token would otherwise be echoed back as a "scheme".
 */
export function describeScheme(header: AuthorizationHeader): string {
  return PRINTABLE_SCHEME.test(header.scheme) && header.credentials !== "" ? `the ${header.scheme} scheme` : "an unsupported scheme";
}

/**
 * Which method a request tries, from what it carries (a refusal's label in the metrics; never used to
 * decide anything). A malformed header counts as "other".
 */
export function attemptedMethod(input: CredentialInput): "token" | "certificate" | "aws-iam" | "none" | "other" {
  if (input.awsIamPrincipal !== undefined) return "aws-iam";
  const header = input.headers["authorization"];
  if (header === undefined || header === "") return "none";
  if (Array.isArray(header)) return "other";
  const scheme = header.trim().split(" ", 1)[0]!.toLowerCase();
  if (scheme === "bearer") return "token";
  if (scheme === PROOF_SCHEME.toLowerCase()) return "certificate";
  return "other";
}
