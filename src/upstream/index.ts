export {
  createUpstreamClient,
  type UpstreamClient,
  type UpstreamClientOptions,
  type UpstreamTarget,
  type OpenedStream,
  type ProbeResult,
  type CallOptions,
  type CallRetryInfo,
  type AttemptWatcher,
} from "./client.js";
export { UpstreamError, type UpstreamErrorKind, isRecord } from "./errors.js";
export type { UpstreamDelta } from "./chunks.js";
export { PROVIDER_KINDS, DEFAULT_PATHS, reportsNativeReasoning, type ProviderKind, type NativeOptions } from "./kinds.js";
export { DEFAULT_MAX_LINE_BYTES } from "./framing.js";
export { DEFAULT_OUTPUT_BOUNDS, type OutputBounds } from "./output-bounds.js";
export { MAX_BACKOFF_MS, type RetryInfo } from "./retry.js";
export { warnUnreachableUpstreams, type StartupProbe } from "./startup.js";
