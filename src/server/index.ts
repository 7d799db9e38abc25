export { buildServer, BODY_LIMIT } from "./build-server.js";
export type { ServerDeps, ServerLoggerOptions } from "./build-server.js";
export { PROBLEM_CONTENT_TYPE, problemBody, retryAfterSeconds } from "./problem.js";
export type { Problem } from "./problem.js";
export { MAX_BATCH_ITEMS, MAX_CSR_LENGTH, MAX_NAME_LENGTH } from "./sign-body.js";
export { createApp } from "./create-app.js";
export type { CreateAppOptions } from "./create-app.js";
export { setGatewayPrincipal } from "./gateway-principal.js";
