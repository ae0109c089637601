export { chatRoutes } from "./chat-route.js";
export { aiSdkRoutes, type AiSdkRouteDeps } from "./ai-sdk-route.js";
export { healthRoutes } from "./health-routes.js";
export { providerJson, providerRoutes, type OperatorEvent } from "./provider-routes.js";
export { ApiError, errorBody } from "./errors.js";
export type { ChatRouteDeps, GatewayEnv } from "./types.js";
export { monitoringRoutes, type FleetView } from "./monitoring-routes.js";
export { accessControl, isAuthenticated, isOpen, isAdminPath, hasAdminSession, login, logout, type AccessSettings } from "./auth.js";
export { keysFromList, matchKey, secretEquals, sha256, type ApiKey } from "./keys.js";
export { keyLimits, releaseWhenDone } from "./limits.js";
export { modelRoutes } from "./model-routes.js";
export { requestIds } from "./request-id.js";
export { recordRejections } from "./rejections.js";
export { clientFailure, failureBody, failureHeaders, failureResponse } from "./failure.js";
export { streamResponse, type StreamResponseOptions } from "./stream-response.js";
export { responsesRoutes } from "./responses-route.js";
export { resumeRoutes } from "./resume-routes.js";
export type { ResumeSettings } from "./resumable.js";
export {
  jsonBody,
  jsonBodyOf,
  readBodyText,
  DEFAULT_FIELD_LIMITS,
  DEFAULT_HEADER_LIMITS,
  MAX_MODEL_NAME_CHARS,
  MAX_REQUEST_ID_CHARS,
  type JsonBodyOptions,
} from "./json-body.js";
export { checkJsonShape, type JsonShapeLimits, type JsonShapeViolation } from "../util/index.js";
export {
  createLoginThrottle,
  LOGIN_BASE_LOCK_MS,
  LOGIN_ACCOUNT_MAX_ATTEMPTS,
  LOGIN_MAX_ATTEMPTS,
  LOGIN_MAX_LOCK_MS,
  LOGIN_WINDOW_MS,
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleOptions,
} from "./login-throttle.js";
export { shutDown, within, type Drainable } from "./shutdown.js";
