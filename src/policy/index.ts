// What other layers use from the policy: compile once at start, evaluate per request.
export { compilePolicy } from "./evaluate.js";
export type { Policy, Decision, Allowed, Refused, EvaluationInput } from "./evaluate.js";
export { VIOLATION_RULES } from "./rules.js";
export type { ViolationRule, PolicyViolation } from "./rules.js";
export { keyAlgorithmName, describeKey } from "./key-checks.js";
export { durationSeconds } from "./validity.js";
