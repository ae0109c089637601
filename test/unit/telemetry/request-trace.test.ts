import { describe, expect, it } from "vitest";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { NO_TRACING, type RequestStart } from "../../../src/telemetry/index.js";
import { createRequestTracing } from "../../../src/telemetry/request-trace.js";

function setup(captureContent = false) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracing = createRequestTracing({ tracer: provider.getTracer("test"), propagator: new W3CTraceContextPropagator(), captureContent });
  return { exporter, tracing, spans: () => exporter.getFinishedSpans() };
}

const start: RequestStart = {
  requestId: "req-1",
  model: "m",
  summaryModel: "s",
  stream: true,
  passthrough: { max_tokens: 100, top_p: "not a number" },
  messages: [{ role: "user", content: "secret prompt" }],
};
const target = { provider: { id: "p1", target: { baseUrl: "https://api.example.com/v1", kind: "anthropic" } }, upstreamModel: "claude-x" };

describe("request traces", () => {
  it("a stage span ends when its work returns, resolves or throws; a rejection is an ERROR with the error's code", async () => {
    const { tracing, spans } = setup();
    const trace = tracing.request(start);
    expect(
      trace.stage(
        "validation",
        () => 7,
        (n) => ({ valid: n === 7, attempt: 1 }),
      ),
    ).toBe(7);
    await expect(
      trace.stage(
        "research",
        async () => 3,
        (n) => ({ sources: n }),
      ),
    ).resolves.toBe(3);
    const cancelled = Object.assign(new Error("gone"), { code: "client_closed" });
    await expect(trace.stage("prompt_summary", () => Promise.reject(cancelled))).rejects.toBe(cancelled);
    expect(() =>
      trace.stage("reasoning_summary", () => {
        throw new TypeError("bug");
      }),
    ).toThrow("bug");
    await Promise.resolve();
    const byName = Object.fromEntries(spans().map((s) => [s.name, s]));
    expect(byName.validation?.attributes).toMatchObject({ "gateway.validation.valid": true, "gateway.validation.attempt": 1 });
    expect(byName.research?.attributes["gateway.research.sources"]).toBe(3);
    expect(byName.prompt_summary?.status).toEqual({ code: SpanStatusCode.ERROR, message: "client_closed" });
    expect(byName.reasoning_summary?.attributes["error.type"]).toBe("TypeError");
    // The request span is still open: it ends only with end().
    expect(spans().some((s) => s.kind === SpanKind.SERVER)).toBe(false);
    trace.end("ok", 200);
    trace.end("upstream_error", 502, { code: "late" });
    const server = spans().filter((s) => s.kind === SpanKind.SERVER);
    expect(server).toHaveLength(1);
    expect(server[0]?.attributes).toMatchObject({ "gen_ai.request.max_tokens": 100, "http.response.status_code": 200 });
    expect(server[0]?.attributes).not.toHaveProperty("gen_ai.request.top_p");
  });

  it("an upstream call: one CLIENT span per attempt, the W3C header of each, facts on the last", () => {
    const { tracing, spans } = setup();
    const trace = tracing.request({ ...start, trace: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } });
    const call = trace.call(target);
    const first = call.attempt(1);
    call.answered(429, { code: "rate_limited" });
    const second = call.attempt(2);
    call.answered(200);
    call.done({ responseModel: "claude-x-2025", usage: { prompt_tokens: 5, completion_tokens: 9 }, finishReason: "end_turn" });
    trace.end("ok", 200);
    const clients = spans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(clients.map((s) => [s.name, s.attributes["gateway.retry"], s.attributes["http.response.status_code"], s.status.code])).toEqual([
      ["chat claude-x", 0, 429, SpanStatusCode.ERROR],
      ["chat claude-x", 1, 200, SpanStatusCode.UNSET],
    ]);
    expect(clients[1]?.attributes).toMatchObject({
      "gen_ai.provider.name": "anthropic",
      "server.address": "api.example.com",
      "server.port": 443,
      "gen_ai.response.model": "claude-x-2025",
      "gen_ai.usage.input_tokens": 5,
      "gen_ai.usage.output_tokens": 9,
      "gen_ai.response.finish_reasons": ["end_turn"],
    });
    for (const [i, headers] of [first, second].entries()) {
      expect(headers.traceparent).toBe(`00-0af7651916cd43dd8448eb211c80319c-${clients[i]?.spanContext().spanId}-01`);
    }
    const server = spans().find((s) => s.kind === SpanKind.SERVER);
    expect(server?.attributes).toMatchObject({ "gateway.upstream.attempts": 2, "gen_ai.response.model": "claude-x-2025", "gen_ai.provider.name": "anthropic" });
  });

  it("keeps prompt and answer text off the spans unless capture is on", () => {
    for (const capture of [false, true]) {
      const { tracing, spans } = setup(capture);
      const trace = tracing.request(start);
      trace.note({ event: "output.delta", data: { request_id: "req-1", text: "secret answer" } });
      trace.stage(
        "prompt_summary",
        () => "x",
        () => ({ input: "secret prompt", output: "a summary" }),
      );
      trace.end("ok", 200);
      const text = JSON.stringify(spans().map((s) => s.attributes));
      expect(text.includes("secret prompt"), `capture ${capture}`).toBe(capture);
      expect(text.includes("secret answer"), `capture ${capture}`).toBe(capture);
    }
  });

  it("off: one shared no-op whose calls return shared objects", () => {
    const a = NO_TRACING.request(start);
    const b = NO_TRACING.request({ ...start, requestId: "req-2" });
    expect(a).toBe(b);
    expect(a.call(target)).toBe(b.call(target));
    expect(a.call(target).attempt(1)).toEqual({});
    expect(a.call(target).attempt(1)).toBe(b.call(target).attempt(2));
    expect(a.stage("research", (s) => s.call(target))).toBe(a.call(target));
  });
});
