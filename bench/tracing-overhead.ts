/**
 * What tracing costs one request, off and on: the calls the pipeline makes into a RequestTrace
 * for a typical staged request (two summary stages with one call each, one upstream call with a
 * retry, 200 streamed events, the end), timed over many iterations.
 *
 *   npx tsx bench/tracing-overhead.ts [rounds of 500 requests]
 *
 * "on" uses the real SDK — tracer provider, sampler, batch span processor — with an exporter
 * that drops the batch, so the figure is the gateway's own cost, not the network's.
 */
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace";
import type { StagedEvent } from "../src/events/index.js";
import { NO_TRACING, type RequestTracing } from "../src/telemetry/index.js";
import { createRequestTracing } from "../src/telemetry/request-trace.js";

const rounds = Number(process.argv[2] ?? 100);
const ROUND = 100;
/** Rounds run before timing starts: the JIT settles. */
const WARM_UP_ROUNDS = 5;
const DELTAS = 200;

const target = { provider: { id: "upstream", target: { baseUrl: "http://127.0.0.1:8001", kind: "openai" } }, upstreamModel: "model-x" };
const start = {
  requestId: "00000000-0000-0000-0000-000000000000",
  model: "model-x",
  summaryModel: "model-x",
  stream: true,
  passthrough: { temperature: 0.2 },
  messages: [{ role: "user", content: "a question" }],
  trace: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", route: "/v1/chat/completions" },
};
const delta: StagedEvent = { event: "output.delta", data: { request_id: start.requestId, text: "a few words " } };
const done: StagedEvent = {
  event: "output.done",
  data: {
    request_id: start.requestId,
    finish_reason: "stop",
    usage: { prompt_tokens: 20, completion_tokens: 200 },
    timings: { prompt_summary: 1, reasoning_end: 2, reasoning_summary: 3, first_output: 4, total: 5 },
  },
};

/** One request's worth of tracing calls, as run.ts, attempts.ts and the summary scheduler make them. */
function oneRequest(tracing: RequestTracing): void {
  const trace = tracing.request(start);
  for (const stage of ["prompt_summary", "reasoning_summary"] as const) {
    trace.stage(
      stage,
      (s) => {
        const call = s.call(target);
        call.attempt(1);
        call.answered(200);
        call.done({ responseModel: "model-x", usage: { prompt_tokens: 50, completion_tokens: 30 }, finishReason: "stop" });
        return { text: "summary", source: "model" };
      },
      (r) => ({ source: r.source }),
    );
  }
  const call = trace.call(target);
  call.attempt(1);
  call.answered(503, { code: "upstream_unavailable" });
  call.attempt(2);
  call.answered(200);
  for (let i = 0; i < DELTAS; i++) trace.note(delta);
  call.done({ responseModel: "model-x", usage: { prompt_tokens: 20, completion_tokens: 200 }, finishReason: "stop" });
  trace.note(done);
  trace.end("ok", 200);
}

/**
 * Median cost per request over rounds of ROUND requests. Between rounds the event loop runs, as
 * it does between real requests, so the batch processor exports what it holds.
 */
async function measure(tracing: RequestTracing): Promise<number> {
  const perRound: number[] = [];
  for (let r = 0; r < rounds + WARM_UP_ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ROUND; i++) oneRequest(tracing);
    if (r >= WARM_UP_ROUNDS) perRound.push(Number(process.hrtime.bigint() - t0) / ROUND);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return perRound.sort((a, b) => a - b)[Math.floor(perRound.length / 2)] ?? NaN;
}

const dropping: SpanExporter = {
  export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
  shutdown: async () => undefined,
};
const provider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: dropping })] });
const on = createRequestTracing({ tracer: provider.getTracer("bench"), propagator: new W3CTraceContextPropagator(), captureContent: false });

// Alternated, so both see the same machine load; the medians of each.
const offRuns: number[] = [];
const onRuns: number[] = [];
for (let i = 0; i < 3; i++) {
  offRuns.push(await measure(NO_TRACING));
  onRuns.push(await measure(on));
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const [offNs, onNs] = [median(offRuns), median(onRuns)];
console.log(`off  ${(offNs / 1000).toFixed(2)} µs per request`);
console.log(`on   ${(onNs / 1000).toFixed(2)} µs per request (7 spans: the request, 2 summary stages, 4 upstream attempts; ${DELTAS} events noted)`);
console.log(`tracing on adds ${((onNs - offNs) / 1000).toFixed(1)} µs per request (${rounds * ROUND} requests per measurement, median of 3)`);
await provider.shutdown();
