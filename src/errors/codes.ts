// Every error a user can hit, in one table. The key is the code; codes are never reused
// (retired codes go to RETIRED_CODES). server/, lambda/ and cli/ map these to HTTP status
// and exit codes; domain layers only raise KubecaError with a code.

export interface ErrorSpec {
  /** HTTP status when the error reaches an HTTP caller. */
  readonly status: number;
  readonly title: string;
  /** One line telling the operator what to do about it. */
  readonly fix: string;
}

export const ERRORS = {
  KUBECA_BAD_REQUEST: {
    status: 400,
    title: "Malformed request",
    fix: "Send JSON that matches the schema in openapi/openapi.yaml; unknown fields are refused.",
  },
  KUBECA_BODY_TOO_LARGE: {
    status: 413,
    title: "Request body too large",
    fix: "Send at most 64 KiB per request; split a batch into several requests.",
  },
  KUBECA_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: "Unsupported content type",
    fix: "Send the body as application/json.",
  },
  KUBECA_CSR_MALFORMED: {
    status: 400,
    title: "The CSR could not be read",
    fix: "Send exactly one PKCS#10 CSR, PEM (CERTIFICATE REQUEST block) or DER, as written by kubeadm certs generate-csr.",
  },
  KUBECA_CSR_SIGNATURE_INVALID: {
    status: 400,
    title: "The CSR's signature does not verify",
    fix: "The CSR was altered or not signed by its own key; generate it again with kubeadm certs generate-csr.",
  },
  KUBECA_UNKNOWN_PROFILE: {
    status: 400,
    title: "Unknown kubeadm file name",
    fix: "Use a kubeadm file name such as apiserver, etcd/server or admin.conf; the detail lists every name kubeca knows.",
  },
  KUBECA_POLICY_VIOLATION: {
    status: 403,
    title: "The request breaks the signing policy",
    fix: "Read violations: each names the field and rule it broke. Fix the CSR, or the cluster facts in the config if the CSR is right.",
  },
  KUBECA_UNAUTHENTICATED: {
    status: 401,
    title: "No valid credentials",
    fix: "Send Authorization: Bearer <token> with a token listed under callers.tokens, or KubecaProof <JWS> signed with the node's current certificate (kubeca renew --proof-cert); detail says what was wrong. See docs/authentication.md.",
  },
  KUBECA_FORBIDDEN: {
    status: 403,
    title: "The caller may not use this route",
    fix: "Use credentials of a caller whose role allows this route.",
  },
  KUBECA_NOT_FOUND: {
    status: 404,
    title: "No such route",
    fix: "See openapi/openapi.yaml for the routes kubeca serves.",
  },
  KUBECA_METHOD_NOT_ALLOWED: {
    status: 405,
    title: "Method not allowed",
    fix: "See openapi/openapi.yaml for the methods each route accepts.",
  },
  KUBECA_RATE_LIMITED: {
    status: 429,
    title: "Too many requests",
    fix: "Wait for the number of seconds in Retry-After, then retry.",
  },
  KUBECA_SIGNER_UNAVAILABLE: {
    status: 503,
    title: "The signer is temporarily unavailable",
    fix: "The KMS throttled, timed out or could not be reached, the CA's key cannot sign now (disabled, pending deletion, deleted, not permitted), or the HSM token is absent or refused the PIN: detail says which and what to do. Retry after Retry-After; /readyz shows the key's state.",
  },
  KUBECA_SIGNER_MISCONFIGURED: {
    status: 500,
    title: "The signer is misconfigured",
    fix: "Check the CA's key: a KMS key must exist, be enabled, have usage SIGN_VERIFY, and the function must be allowed kms:Sign on it; a PKCS#11 key must be on the named token, able to sign, not extractable, with the right PIN.",
  },
  KUBECA_SIGNER_KEY_MISMATCH: {
    status: 500,
    title: "A signer's key does not match its CA certificate",
    fix: "Point the CA's signer at the key the CA certificate was made with, or recreate the certificate with kubeca ca init.",
  },
  KUBECA_AUDIT_UNAVAILABLE: {
    status: 503,
    title: "The audit log is unavailable",
    fix: "No certificate is issued while its record cannot be stored; check the audit store, then retry after Retry-After.",
  },
  KUBECA_NOT_READY: {
    status: 503,
    title: "The service is not ready",
    fix: "See /readyz for which check fails.",
  },
  KUBECA_CONFIG_INVALID: {
    status: 500,
    title: "The configuration is invalid",
    fix: "Fix every field named in detail; kubeca policy check FILE validates a config without starting the service.",
  },
  KUBECA_CA_INVALID: {
    status: 500,
    title: "A CA certificate is unusable",
    fix: "Each CA certificate must be a CA (BasicConstraints CA:TRUE) with a Subject Key Identifier; recreate it with kubeca ca init.",
  },
  KUBECA_ROTATION_REFUSED: {
    status: 409,
    title: "The CA rotation phase change is refused",
    fix: "Run kubeca ca rotate status: the phase may have moved (one step at a time, from the phase you name), the last change may be too recent for every instance to follow, or nodes named in violations have not yet installed what the next phase relies on (run kubeca renew on them).",
  },
  KUBECA_NODE_RETIRE_REFUSED: {
    status: 409,
    title: "The node cannot be retired",
    fix: "Retire only a node gone from the cluster: remove it from nodes: in the config and restart or redeploy the service first; kubeca audit inventory lists the nodes that hold certificates (a node never issued one, or retired already, has nothing to retire).",
  },
  KUBECA_INTERNAL: {
    status: 500,
    title: "Internal error",
    fix: "This is a bug in kubeca; the server log has the cause under the request id.",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** Codes that once existed; never reuse them. */
export const RETIRED_CODES: readonly string[] = [];

export const PROBLEM_TYPE_BASE = "https://kubeca.dev/problems/";

export function problemType(code: ErrorCode): string {
  return PROBLEM_TYPE_BASE + code.slice("KUBECA_".length).toLowerCase().replaceAll("_", "-");
}
