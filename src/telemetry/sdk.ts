/**
 * The OpenTelemetry SDK, built only when tracing is on: loaded by `startTracing` with a dynamic
 * import, so a gateway without an OTLP endpoint never loads an exporter, nor the OpenTelemetry API
 * (request-trace.ts imports it, and is reached only from here, not through the room's index).
 */
import { setGlobalErrorHandler, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
} from "@opentelemetry/sdk-trace";
import { createRequestTracing } from "./request-trace.js";
import type { Telemetry, TracingSettings } from "./settings.js";

const SERVICE_NAME = "staged-reasoning-gateway";

/** Build the tracer provider and its OTLP exporter: the SDK's variables (endpoint, headers, …) are its own to read. */
export function buildTracing(s: TracingSettings): Telemetry {
  // With no url the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT itself, as it reads the
  // headers, timeout, compression and certificates.
  const options = s.url === undefined ? {} : { url: s.url };
  const exporter = s.protocol === "http/json" ? new JsonExporter(options) : new ProtobufExporter(options);
  // Ours first, then what OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES say: the operator's word wins.
  const resource = defaultResource()
    .merge(
      resourceFromAttributes({
        "service.name": SERVICE_NAME,
        "service.version": s.serviceVersion,
        ...(s.instanceId !== undefined && { "service.instance.id": s.instanceId }),
      }),
    )
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new TracerProvider({
    resource,
    sampler: samplerFor(s.sampler),
    spanProcessors: [new BatchSpanProcessor({ exporter, ...(s.scheduledDelayMs !== undefined && { scheduledDelayMillis: s.scheduledDelayMs }) })],
  });
  if (s.onError) setGlobalErrorHandler(s.onError);
  return {
    requests: createRequestTracing({
      tracer: provider.getTracer(SERVICE_NAME, s.serviceVersion),
      propagator: new W3CTraceContextPropagator(),
      captureContent: s.captureContent,
    }),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** OTEL_TRACES_SAMPLER's values, as the specification defines them. */
function samplerFor({ name, ratio }: TracingSettings["sampler"]): Sampler {
  const root = name.endsWith("always_off")
    ? new AlwaysOffSampler()
    : name.endsWith("traceidratio")
      ? new TraceIdRatioBasedSampler(ratio)
      : new AlwaysOnSampler();
  return name.startsWith("parentbased_") ? new ParentBasedSampler({ root }) : root;
}
