// The signing policy: compiled once from the config, then a pure decision per request.
// A refusal is data (every violation, one per offending name), never an exception.
import type { Caller } from "../auth/caller.js";
import type { CaName, Config, KeyAlgorithmName } from "../config/index.js";
import type { ClusterFacts, ExtKeyUsage, Profile } from "../kubeadm/index.js";
import { compileClusterFacts } from "../kubeadm/index.js";
import type { ParsedCsr } from "../pki/types.js";
import { callerNode, fileViolations } from "./file-checks.js";
import { keyViolations } from "./key-checks.js";
import { compileNodeRules, type NodeRules } from "./node-rules.js";
import type { PolicyViolation } from "./rules.js";
import { sanViolations } from "./san-checks.js";
import { subjectViolations } from "./subject-checks.js";
import { durationSeconds } from "./validity.js";

export interface EvaluationInput {
  readonly caller: Caller;
  readonly profile: Profile;
  readonly csr: ParsedCsr;
}

export interface Allowed {
  readonly allow: true;
  readonly profile: Profile;
  /** The node the certificate is for (the caller's node). */
  readonly node: string;
  readonly issuer: CaName;
  readonly extKeyUsage: readonly ExtKeyUsage[];
  /** From config.validity.leaf; the issuer caps it at the CA's NotAfter. */
  readonly validitySeconds: number;
}

export interface Refused {
  readonly allow: false;
  /** Never empty. */
  readonly violations: readonly PolicyViolation[];
}

export type Decision = Allowed | Refused;

export interface Policy {
  /** What the decisions are derived from, for `kubeca policy check` and diagnostics. */
  readonly facts: ClusterFacts;
  /** Listed nodes and node groups as the decisions see them. */
  readonly nodes: NodeRules;
  /** The CAs configured under `cas`. */
  readonly configuredCas: ReadonlySet<CaName>;
  evaluate(input: EvaluationInput): Decision;
}

/** Throws KubecaError KUBECA_CONFIG_INVALID for cluster facts kubeadm could not use either. */
export function compilePolicy(config: Config): Policy {
  const facts = compileClusterFacts(config.cluster);
  const nodes = compileNodeRules(config, facts);
  const hasGroups = nodes.groups.length > 0;
  const keysAllowed: ReadonlySet<KeyAlgorithmName> = new Set(config.keys.allowed);
  const configuredCas: ReadonlySet<CaName> = new Set(
    (Object.keys(config.cas) as CaName[]).filter((name) => config.cas[name] !== undefined),
  );
  const validitySeconds = durationSeconds(config.validity.leaf, "validity.leaf");

  function evaluate({ caller, profile, csr }: EvaluationInput): Decision {
    const lookup = callerNode(caller, nodes.resolve, hasGroups);
    if (!lookup.ok) return refuse(lookup.violations);
    const node = lookup.node;

    const gate = fileViolations(caller, node, profile, facts, configuredCas);
    if (gate.length > 0) return refuse(gate);

    const violations = [
      ...subjectViolations(csr, profile, node.name, facts.version),
      ...sanViolations(csr, profile, node.name, profile.sanSet === "none" ? undefined : node.sans[profile.sanSet], node.ranges),
      ...keyViolations(csr.keyAlgorithm, keysAllowed, profile, facts.version),
    ];
    if (violations.length > 0) return refuse(violations);
    return Object.freeze({
      allow: true,
      profile,
      node: node.name,
      issuer: profile.issuer,
      extKeyUsage: profile.extKeyUsage,
      validitySeconds,
    });
  }

  return Object.freeze({ facts, nodes, configuredCas, evaluate });
}

function refuse(violations: readonly PolicyViolation[]): Refused {
  return Object.freeze({ allow: false, violations: Object.freeze([...violations]) });
}
