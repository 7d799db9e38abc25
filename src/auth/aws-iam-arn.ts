// IAM ARNs as API Gateway reports callers and as the config names them. A caller using a role (an EC2
// instance profile, an assumed role) appears as an STS session, `arn:<p>:sts::<acct>:assumed-role/
// <role>/<session>`: the role's path is gone and the session name (the instance id for instance
// profiles) is new. So a configured role ARN matches by partition, account and role name.

/** A principal as API Gateway's IAM authorization reports it. */
export type CallerArn =
  | { readonly kind: "assumed-role"; readonly arn: string; readonly partition: string; readonly account: string; readonly role: string; readonly session: string }
  | { readonly kind: "other"; readonly arn: string };

/** What a config entry matches: every session of a role, or one exact ARN (user, one session, …). */
export type ArnPattern =
  | { readonly kind: "role"; readonly arn: string; readonly partition: string; readonly account: string; readonly role: string }
  | { readonly kind: "exact"; readonly arn: string };

const ASSUMED_ROLE = /^arn:(aws(?:-[a-z]+)*):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/([\w+=,.@-]{2,64})$/;
const ROLE = /^arn:(aws(?:-[a-z]+)*):iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;
/** Any IAM or STS principal ARN the config may name. */
export const IAM_ARN = /^arn:aws(?:-[a-z]+)*:(?:iam|sts)::\d{12}:[\x21-\x7e]+$/;

export function parseCallerArn(arn: string): CallerArn {
  const m = ASSUMED_ROLE.exec(arn);
  if (m) return { kind: "assumed-role", arn, partition: m[1]!, account: m[2]!, role: m[3]!, session: m[4]! };
  return { kind: "other", arn };
}

export function parseArnPattern(arn: string): ArnPattern {
  const m = ROLE.exec(arn);
  if (m) return { kind: "role", arn, partition: m[1]!, account: m[2]!, role: m[3]! };
  return { kind: "exact", arn };
}

export function matchesArn(pattern: ArnPattern, caller: CallerArn): boolean {
  if (pattern.kind === "exact") return pattern.arn === caller.arn;
  return caller.kind === "assumed-role" && caller.partition === pattern.partition && caller.account === pattern.account && caller.role === pattern.role;
}
