// Not here: createRequestTracing (request-trace.ts), which imports the OpenTelemetry API; only the
// SDK's builder (sdk.ts, loaded when tracing is on) uses it.
export { NO_TRACING } from "./noop.js";
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
