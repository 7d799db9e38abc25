export * from "./schema.js";
export { loadConfigFile, parseConfig, parseConfigText, validateConfigText } from "./load.js";
export type { LoadedConfig, ConfigIssue, ConfigValidation } from "./load.js";
export { compileNodeLookup, namePatternRegExp } from "./node-lookup.js";
export type { NodeEntry, NodeLookup } from "./node-lookup.js";
export { ROTATION_PHASES, ROTATION_ACTIONS, rotationTarget, phaseEffect, isRotationPhase, isRotationAction } from "./rotation-phase.js";
export type { RotationPhase, RotationAction, PhaseEffect } from "./rotation-phase.js";
