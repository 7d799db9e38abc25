export { ERRORS, RETIRED_CODES, PROBLEM_TYPE_BASE, problemType } from "./codes.js";
export type { ErrorCode, ErrorSpec } from "./codes.js";
export { KubecaError, isKubecaError } from "./kubeca-error.js";
export type { Violation, KubecaErrorOptions } from "./kubeca-error.js";
