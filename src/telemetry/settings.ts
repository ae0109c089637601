import type { RequestTracing } from "./types.js";

/** OTEL_TRACES_SAMPLER's values (the specification's list; config/ checks them); `parentbased_always_on` is its default. */
export type SamplerName = "always_on" | "always_off" | "traceidratio" | "parentbased_always_on" | "parentbased_always_off" | "parentbased_traceidratio";

/** OTLP over HTTP, in either of its encodings; protobuf is the specification's default. */
export type OtlpProtocol = "http/protobuf" | "http/json";

/** How to trace, from the environment (config) and the composition root. */
export interface TracingSettings {
  protocol: OtlpProtocol;
  sampler: { name: SamplerName; ratio: number };
  /** OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: prompt, summaries and answer on the spans. */
  captureContent: boolean;
  serviceVersion: string;
  /** This replica's id, as `service.instance.id`. */
  instanceId?: string | undefined;
  /** Where to send traces; absent = where the SDK's own OTEL_EXPORTER_OTLP_* variables say. */
  url?: string | undefined;
  /** How long finished spans wait to be sent together (the SDK's default is 5 s). */
  scheduledDelayMs?: number | undefined;
  /** An export that failed (the collector is down, …): told here, never thrown. */
  onError?: ((e: unknown) => void) | undefined;
}

/** Tracing, running: the pipeline's handle, and the provider's flush and shutdown. */
export interface Telemetry {
  requests: RequestTracing;
  /** Send every finished span now. */
  flush(): Promise<void>;
  /** Send what is left and stop; spans ended later are dropped. */
  shutdown(): Promise<void>;
}

/**
 * Start tracing: the SDK is loaded here, on first use, so a gateway with tracing off never
 * loads it.
 */
export async function startTracing(s: TracingSettings): Promise<Telemetry> {
  const { buildTracing } = await import("./sdk.js");
  return buildTracing(s);
}
