export { createUpstreamClient, type UpstreamClient, type UpstreamTarget, type OpenedStream, type ProbeResult, type CallOptions } from "./client.js";
export { UpstreamError, type UpstreamErrorKind, isRecord } from "./errors.js";
export type { UpstreamDelta } from "./chunks.js";
export { warnUnreachableUpstreams, type StartupProbe } from "./startup.js";
