import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/index.js";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("tracing settings (OTEL_*)", () => {
  it("are off without an OTLP endpoint, with the specification's defaults", () => {
    expect(loadConfig({}).tracing).toEqual({
      enabled: false,
      protocol: "http/protobuf",
      sampler: { name: "parentbased_always_on", ratio: 1 },
      captureContent: false,
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "" }).tracing.enabled).toBe(false);
  });

  it("are on with either endpoint variable, unless OTEL_SDK_DISABLED=true", () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }).tracing.enabled).toBe(true);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces" }).tracing.enabled).toBe(true);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_SDK_DISABLED: "true" }).tracing.enabled).toBe(false);
  });

  it("read the protocol (the traces variable first), the sampler and the capture switch", () => {
    const t = loadConfig({
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true",
    }).tracing;
    expect(t).toMatchObject({ protocol: "http/json", sampler: { name: "parentbased_traceidratio", ratio: 0.25 }, captureContent: true });
  });

  it("name every bad value, gRPC included", () => {
    expect(
      problems({
        OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318",
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
        OTEL_TRACES_SAMPLER: "sometimes",
        OTEL_TRACES_SAMPLER_ARG: "2",
      }),
    ).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL (got "collector:4318")',
      'OTEL_EXPORTER_OTLP_PROTOCOL: must be http/protobuf or http/json (OTLP over gRPC is not supported) (got "grpc")',
      'OTEL_TRACES_SAMPLER: must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio (got "sometimes")',
      'OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1 (got "2")',
    ]);
  });
});
