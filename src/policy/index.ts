// What other layers use from the policy: compile once at start, evaluate per request.
export { compilePolicy } from "./evaluate.js";
export type { Policy, Decision, Allowed, Refused, EvaluationInput } from "./evaluate.js";
export { VIOLATION_RULES, violation } from "./rules.js";
export type { ViolationRule, PolicyViolation } from "./rules.js";
export { keyAlgorithmName, describeKey } from "./key-checks.js";
export { durationSeconds } from "./validity.js";
export { policyEntitlements } from "./entitlements.js";
export type { PolicyEntitlements, NodeEntitlements, GroupEntitlements, FileEntitlement, ServingSans } from "./entitlements.js";
export { superAdminNodes } from "./super-admin.js";
export type { NodeRules, PolicyNode } from "./node-rules.js";
