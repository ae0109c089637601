export { chatRoutes, type ChatRouteDeps } from "./chat-route.js";
export { healthRoutes } from "./health-routes.js";
export { providerRoutes } from "./provider-routes.js";
export { ApiError, errorBody } from "./errors.js";
export type { GatewayEnv } from "./types.js";
export { monitoringRoutes } from "./monitoring-routes.js";
