// AWS IAM callers: the service runs on Lambda behind API Gateway with IAM authorization, which checked
// the caller's SigV4 signature and put its ARN in the request context. The Lambda handler copies that
// ARN into CredentialInput.awsIamPrincipal; nothing a client sends can set it. Here the ARN is mapped
// through `callers.iam`: an exact ARN, or a role whose sessions are told apart by session name.
import { KubecaError } from "../errors/index.js";
import type { Authenticator, CredentialInput } from "./authenticator.js";
import { matchesArn, parseArnPattern, parseCallerArn, type ArnPattern, type CallerArn } from "./aws-iam-arn.js";
import type { Caller, NodeDirectory } from "./caller.js";

export interface IamCallerConfig {
  /** A label for messages; the Caller's subject is the caller's own ARN. */
  readonly name: string;
  /** An IAM role ARN (matches every session of the role), or an exact principal ARN. */
  readonly arn: string;
  /** Exactly one of the four below says what the principal acts as. */
  readonly node?: string | undefined;
  /** Session name (an EC2 instance id, for instance profiles) → node. */
  readonly sessionNodes?: Readonly<Record<string, string>> | undefined;
  /** The session name is the node's name. */
  readonly sessionIsNode?: boolean | undefined;
  /** GET /v1/audit only. */
  readonly auditor?: boolean | undefined;
  /** The CA rotation routes and retiring nodes only. */
  readonly operator?: boolean | undefined;
}

interface Entry {
  readonly index: number;
  readonly config: IamCallerConfig;
  readonly pattern: ArnPattern;
}

function refuse(detail: string): KubecaError {
  return new KubecaError("KUBECA_UNAUTHENTICATED", detail);
}

function invalid(detail: string): KubecaError {
  return new KubecaError("KUBECA_CONFIG_INVALID", detail);
}

/** Checks each entry once, at start: one binding, sessions only for roles, nodes the config knows. */
function compile(entries: readonly IamCallerConfig[], nodes: NodeDirectory): Entry[] {
  const seen = new Set<string>();
  return entries.map((config, index) => {
    const at = `callers.iam.${index}`;
    const pattern = parseArnPattern(config.arn);
    const bindings = [config.node !== undefined, config.sessionNodes !== undefined, config.sessionIsNode === true, config.auditor === true, config.operator === true];
    if (bindings.filter(Boolean).length !== 1) throw invalid(`${at}: set exactly one of node, sessionNodes, sessionIsNode, auditor, operator`);
    if (pattern.kind !== "role" && (config.sessionNodes !== undefined || config.sessionIsNode)) {
      throw invalid(`${at}: sessionNodes and sessionIsNode need a role ARN (arn:aws:iam::<account>:role/<name>); ${config.arn} is not one`);
    }
    const named = [config.node, ...Object.values(config.sessionNodes ?? {})].filter((n): n is string => n !== undefined);
    for (const n of named) if (!nodes.find(n)) throw invalid(`${at} names node ${n}, which is not under nodes or in a node group`);
    const key = pattern.kind === "role" ? `role ${pattern.partition} ${pattern.account} ${pattern.role}` : pattern.arn;
    if (seen.has(key)) throw invalid(`${at}: ${config.arn} is matched by an earlier entry too; each principal must have one meaning`);
    seen.add(key);
    return { index, config, pattern };
  });
}

export function createIamAuthenticator(entries: readonly IamCallerConfig[], nodes: NodeDirectory): Authenticator {
  const compiled = compile(entries, nodes);
  // An exact ARN is more specific than its role: it wins.
  const ordered = [...compiled.filter((e) => e.pattern.kind === "exact"), ...compiled.filter((e) => e.pattern.kind === "role")];

  function nodeCaller(arn: string, node: string, why: string): Caller {
    const entry = nodes.find(node);
    if (!entry) throw refuse(`${arn} ${why} names node ${node}, which the config does not list under nodes or any node group`);
    return Object.freeze({ method: "aws-iam" as const, subject: arn, node, role: entry.role });
  }

  function callerFor(entry: Entry, caller: CallerArn): Caller {
    const { config } = entry;
    if (config.auditor) return Object.freeze({ method: "aws-iam" as const, subject: caller.arn, node: undefined, role: "auditor" as const });
    if (config.operator) return Object.freeze({ method: "aws-iam" as const, subject: caller.arn, node: undefined, role: "operator" as const });
    if (config.node !== undefined) return nodeCaller(caller.arn, config.node, `(callers.iam.${entry.index})`);
    // Role bindings below: the pattern matched, so the caller is a session of that role.
    if (caller.kind !== "assumed-role") throw refuse(`${caller.arn} is not a role session`);
    if (config.sessionNodes !== undefined) {
      const node = Object.hasOwn(config.sessionNodes, caller.session) ? config.sessionNodes[caller.session] : undefined;
      if (node === undefined) {
        throw refuse(`session ${caller.session} of role ${caller.role} is not in callers.iam.${entry.index}.sessionNodes (${config.name}); add it to map the session to its node`);
      }
      return nodeCaller(caller.arn, node, `(callers.iam.${entry.index}.sessionNodes)`);
    }
    return nodeCaller(caller.arn, caller.session, "(its session name, callers.iam sessionIsNode)");
  }

  return {
    async authenticate(input: CredentialInput): Promise<Caller> {
      const arn = input.awsIamPrincipal;
      if (arn === undefined || arn === "") {
        throw refuse("no IAM principal: API Gateway reported none (IAM authorization is not enabled on this route)");
      }
      const caller = parseCallerArn(arn);
      const entry = ordered.find((e) => matchesArn(e.pattern, caller));
      if (!entry) throw refuse(`the IAM principal ${arn} is not under callers.iam (no entry for it${caller.kind === "assumed-role" ? ` or its role ${caller.role}` : ""})`);
      return callerFor(entry, caller);
    },
  };
}
