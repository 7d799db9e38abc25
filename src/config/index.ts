export * from "./schema.js";
export { loadConfigFile, parseConfig, parseConfigText } from "./load.js";
export type { LoadedConfig } from "./load.js";
