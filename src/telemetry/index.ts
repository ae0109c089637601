export { NO_TRACING } from "./noop.js";
export { createRequestTracing, type RequestTracingOptions } from "./request-trace.js";
export { completionFacts } from "./attributes.js";
export { startTracing, type SamplerName, type OtlpProtocol, type Telemetry, type TracingSettings } from "./settings.js";
export type {
  CallFacts,
  CallParent,
  CallTarget,
  CallTrace,
  IncomingTrace,
  RequestStart,
  RequestTrace,
  RequestTracing,
  StageFacts,
  StageName,
  TracedError,
} from "./types.js";
