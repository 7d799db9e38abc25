// Who is calling, as established by an authenticator. Authenticators return data, never power:
// policy decides what a Caller may receive.

export type CallerRole = "control-plane" | "worker" | "auditor" | "operator";

export interface Caller {
  /** How the caller proved who it is. */
  readonly method: "token" | "dev-token" | "certificate" | "aws-iam";
  /** A stable, non-secret identity: the token's name, a certificate subject, an ARN. Never a token. */
  readonly subject: string;
  /** The node this caller may request names for; undefined for roles bound to no node (auditor, operator). */
  readonly node: string | undefined;
  readonly role: CallerRole;
}

/**
 * What an authenticator that derives a node name from a credential (a certificate's subject, an IAM
 * session) needs from the config: whether the name is a node there, and its role. config's
 * compileNodeLookup fits it (listed nodes and node groups).
 */
export interface NodeDirectory {
  find(name: string): { readonly role: Exclude<CallerRole, "auditor" | "operator"> } | undefined;
}

/** Request metadata that goes into the audit record with the caller. */
export interface RequestOrigin {
  readonly requestId: string;
  readonly sourceIp: string | undefined;
  readonly userAgent: string | undefined;
}
