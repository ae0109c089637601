import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream, type MockCall, type RunningMock } from "../../mock-upstream/index.js";
import { startTracing, type Telemetry, type TracingSettings } from "../../src/telemetry/index.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "../helpers/otlp.js";
import { answerOf, first, postStaged, userMessage } from "../helpers/sse.js";

/*
 * OpenTelemetry traces, end to end in one process: the real SDK and OTLP exporter, a real
 * receiver decoding what arrives, the gateway on a socket and the mock upstream recording the
 * headers of every call it gets.
 */

const PROMPT = "Why is the sky blue? (a prompt no span may carry)";
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";

interface Traced {
  mock: RunningMock;
  gateway: RunningGateway;
  receiver: OtlpReceiver;
  telemetry: Telemetry;
}

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function traced(
  env: Record<string, string> = {},
  settings: Partial<TracingSettings> = {},
  mockOptions: Parameters<typeof startMockUpstream>[0] = {},
): Promise<Traced> {
  const receiver = await startOtlpReceiver();
  open.push(() => receiver.close());
  const telemetry = await startTracing({
    protocol: "http/protobuf",
    sampler: { name: "parentbased_always_on", ratio: 1 },
    captureContent: false,
    serviceVersion: "9.9.9-test",
    url: `${receiver.url}/v1/traces`,
    ...settings,
  });
  open.push(() => telemetry.shutdown());
  const mock = await startMockUpstream(mockOptions);
  open.push(() => mock.close());
  const gateway = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, ...env }, { tracing: telemetry.requests });
  open.push(() => gateway.close());
  return { mock, gateway, receiver, telemetry };
}

/** The request's SERVER span, once it and `more` have arrived. */
async function requestSpan(t: Traced, requestId: string, more: (spans: ReceivedSpan[], root: ReceivedSpan) => boolean = () => true): Promise<ReceivedSpan> {
  const find = (spans: ReceivedSpan[]) => spans.find((s) => s.kind === "SERVER" && s.attributes["gateway.request_id"] === requestId);
  await t.receiver.waitFor(
    (spans) => {
      const root = find(spans);
      return root !== undefined && more(spans, root);
    },
    () => t.telemetry.flush(),
  );
  return find(t.receiver.spans) as ReceivedSpan;
}

const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);
const named = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

/** The W3C header a mock call came with, split: trace id and the span that made the call. */
function traceparentOf(call: MockCall): { traceId: string; parentId: string; flags: string } {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(call.headers.traceparent ?? "");
  expect(m, `traceparent of the ${call.kind} call: ${call.headers.traceparent}`).not.toBeNull();
  const [, traceId = "", parentId = "", flags = ""] = m ?? [];
  return { traceId, parentId, flags };
}

describe("a traced request", () => {
  it("is one SERVER span continuing the caller's traceparent, with a span per stage and per upstream attempt, each upstream call carrying its own span's traceparent", async () => {
    const t = await traced();
    const r = await postStaged(
      t.gateway.url,
      { model: "mock-tagged", messages: userMessage(PROMPT), temperature: 0.25 },
      {
        headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, "x-client-request-id": "client-42" },
      },
    );
    expect(r.status).toBe(200);
    const requestId = String(r.headers.get("x-request-id"));
    const root = await requestSpan(t, requestId, (spans, root) => childrenOf(spans, root).length >= 3);
    const spans = t.receiver.spans;

    // The caller's trace, continued.
    expect(root.traceId).toBe(TRACE_ID);
    expect(root.parentSpanId).toBe(PARENT_ID);
    expect(root.name).toBe("chat mock-tagged");
    expect(root.status.code).toBe("UNSET");
    const done = first(r, "output.done").data as { usage: { prompt_tokens: number; completion_tokens: number }; finish_reason: string };
    expect(root.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "mock-tagged",
      "gen_ai.response.model": "mock-tagged",
      "gen_ai.request.temperature": 0.25,
      "gen_ai.usage.input_tokens": done.usage.prompt_tokens,
      "gen_ai.usage.output_tokens": done.usage.completion_tokens,
      "gen_ai.response.finish_reasons": [done.finish_reason],
      "gateway.request_id": requestId,
      "gateway.client_request_id": "client-42",
      "gateway.provider": "upstream",
      "gateway.outcome": "ok",
      "gateway.upstream.attempts": 1,
      "http.request.method": "POST",
      "http.route": "/v1/chat/completions",
      "http.response.status_code": 200,
    });
    expect(root.resource).toMatchObject({ "service.name": "staged-reasoning-gateway", "service.version": "9.9.9-test" });

    // Under the request: the prompt and reasoning summaries as stages, and the one upstream attempt.
    const children = childrenOf(spans, root);
    expect(children.map((s) => s.name).sort()).toEqual(["chat mock-tagged", "prompt_summary", "reasoning_summary"]);
    const [main] = named(children, "chat mock-tagged");
    expect(main?.kind).toBe("CLIENT");
    expect(main?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "mock-tagged",
      "gen_ai.response.model": "mock-tagged",
      "gen_ai.response.finish_reasons": ["stop"],
      "gateway.provider": "upstream",
      "gateway.retry": 0,
      "http.response.status_code": 200,
      "server.address": "127.0.0.1",
      "server.port": Number(new URL(t.mock.baseUrl).port),
    });
    for (const stage of ["prompt_summary", "reasoning_summary"]) {
      const [span] = named(children, stage);
      expect(span?.kind).toBe("INTERNAL");
      expect(span?.attributes).toMatchObject({ "gateway.stage": stage, "gateway.summary.source": "model" });
      // Each summary stage made its one call, a CLIENT span of its own.
      const calls = childrenOf(spans, span as ReceivedSpan);
      expect(calls.map((c) => [c.name, c.kind, c.attributes["http.response.status_code"]])).toEqual([["chat mock-tagged", "CLIENT", 200]]);
      expect(calls[0]?.attributes["gen_ai.usage.output_tokens"]).toEqual(expect.any(Number));
    }

    // Every upstream call — the answer's and each summary's — sent the traceparent of its own span.
    const calls = t.mock.mock.calls;
    expect(calls.map((c) => c.kind).sort()).toEqual(["chat", "prompt_summary", "reasoning_summary"]);
    for (const call of calls) {
      const tp = traceparentOf(call);
      expect(tp.traceId).toBe(TRACE_ID);
      expect(tp.flags).toBe("01");
      const span = spans.find((s) => s.spanId === tp.parentId);
      expect(span?.kind, `the span behind the ${call.kind} call`).toBe("CLIENT");
      const parent = spans.find((s) => s.spanId === span?.parentSpanId);
      expect(parent?.name).toBe(call.kind === "chat" ? "chat mock-tagged" : call.kind);
    }

    // No prompt or answer text anywhere without the capture switch.
    const everything = JSON.stringify(spans.map((s) => ({ ...s, start: 0, end: 0 })));
    expect(everything).not.toContain("sky blue");
    expect(everything).not.toContain(answerOf(r).slice(0, 20));
    expect(everything).not.toContain("gen_ai.input.messages");
    expect(everything).not.toContain("gen_ai.output.messages");
  });

  it("starts a new trace when the caller sends none, and every upstream call is in it (stream: false too)", async () => {
    const t = await traced();
    const r = await postStaged(t.gateway.url, { model: "mock-tagged", messages: userMessage(PROMPT), stream: false });
    const root = await requestSpan(t, String(r.headers.get("x-request-id")));
    expect(root.parentSpanId).toBe("");
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.attributes["gateway.stream"]).toBe(false);
    for (const call of t.mock.mock.calls) expect(traceparentOf(call).traceId).toBe(root.traceId);
  });

  it("gives each retry its own CLIENT span (retry number, HTTP status, error.type), and each its own traceparent", async () => {
    const t = await traced({ UPSTREAM_MAX_RETRIES: "2" }, {}, { faults: { fail: { status: 503, times: 1, target: "stream" } } });
    const r = await postStaged(t.gateway.url, { model: "mock-tagged", messages: userMessage(PROMPT) });
    expect(r.status).toBe(200);
    const root = await requestSpan(t, String(r.headers.get("x-request-id")), (spans, root) => named(childrenOf(spans, root), "chat mock-tagged").length === 2);
    const attempts = named(childrenOf(t.receiver.spans, root), "chat mock-tagged").sort(
      (a, b) => Number(a.attributes["gateway.retry"]) - Number(b.attributes["gateway.retry"]),
    );
    expect(attempts.map((s) => [s.attributes["gateway.retry"], s.attributes["http.response.status_code"], s.status.code])).toEqual([
      [0, 503, "ERROR"],
      [1, 200, "UNSET"],
    ]);
    const failed = attempts[0] as ReceivedSpan;
    expect(failed.attributes["error.type"]).toEqual(expect.any(String));
    expect(failed.status.message).toBe(failed.attributes["error.type"]);
    expect(root.attributes["gateway.upstream.attempts"]).toBe(2);
    const mainCalls = t.mock.mock.calls.filter((c) => c.kind === "chat");
    expect(mainCalls.map((c) => traceparentOf(c).parentId)).toEqual(attempts.map((s) => s.spanId));
  });

  it("ends a failed request with status ERROR and the error's code, on the request span and its attempt", async () => {
    const t = await traced({ UPSTREAM_MAX_RETRIES: "0" }, {}, { faults: { fail: { status: 500, times: Infinity, target: "all", message: "engine on fire" } } });
    const r = await postStaged(t.gateway.url, { model: "mock-tagged", messages: userMessage(PROMPT) });
    expect(r.status).toBe(502);
    const code = (r.json as { error: { code: string } }).error.code;
    const root = await requestSpan(t, String(r.headers.get("x-request-id")));
    expect(root.status).toEqual({ code: "ERROR", message: code });
    expect(root.attributes).toMatchObject({ "error.type": code, "http.response.status_code": 502, "gateway.outcome": "upstream_error" });
    const [attempt] = named(childrenOf(t.receiver.spans, root), "chat mock-tagged");
    expect(attempt?.status.code).toBe("ERROR");
    expect(attempt?.attributes["http.response.status_code"]).toBe(500);
    // The upstream's message is no span's business: it may quote the request.
    expect(JSON.stringify(t.receiver.spans.map((s) => s.status.message))).not.toContain("engine on fire");
  });
});

describe("stage spans", () => {
  it("research, each answer check and each progress call get spans, with how each went", async () => {
    const t = await traced({ REASONING_PROGRESS_SECONDS: "0.4" }, {}, { longReasoningSeconds: 1.5 });
    // No SEARCH_URL: the research stage fails (research_unavailable) and the answer goes on without sources.
    const r = await postStaged(t.gateway.url, { model: "mock-long-think", messages: userMessage(PROMPT), research: true });
    expect(r.status).toBe(200);
    const progress = r.events.filter((e) => e.event === "summary.progress").length;
    expect(progress).toBeGreaterThan(0);
    const root = await requestSpan(
      t,
      String(r.headers.get("x-request-id")),
      (spans, root) => named(childrenOf(spans, root), "progress_summary").length >= progress,
    );
    const children = childrenOf(t.receiver.spans, root);
    const [research] = named(children, "research");
    expect(research?.status).toEqual({ code: "ERROR", message: "research_unavailable" });
    expect(research?.attributes).toMatchObject({ "gateway.stage": "research", "gateway.research.sources": 0, "error.type": "research_unavailable" });
    // Each progress call the mock saw came from a progress_summary span's CLIENT child.
    const progressCalls = t.mock.mock.calls.filter((c) => c.kind === "progress_summary");
    expect(progressCalls.length).toBeGreaterThanOrEqual(progress);
    await t.receiver.waitFor(
      (spans) => progressCalls.every((c) => spans.some((s) => s.spanId === traceparentOf(c).parentId)),
      () => t.telemetry.flush(),
    );
    for (const call of progressCalls) {
      const span = t.receiver.spans.find((s) => s.spanId === traceparentOf(call).parentId);
      const stage = t.receiver.spans.find((s) => s.spanId === span?.parentSpanId);
      expect([span?.kind, stage?.name, stage?.parentSpanId]).toEqual(["CLIENT", "progress_summary", root.spanId]);
    }
  });

  it("a schema-checked answer: a validation span per check, valid or not, under the request", async () => {
    const t = await traced({ VALIDATION_MAX_ATTEMPTS: "2" });
    // The mock's answer is prose, so both checks fail and the last answer goes out with valid: false.
    const r = await postStaged(t.gateway.url, { model: "mock-tagged", messages: userMessage(PROMPT), response_format: { type: "json_object" } });
    expect(r.status).toBe(200);
    const root = await requestSpan(t, String(r.headers.get("x-request-id")), (spans, root) => named(childrenOf(spans, root), "validation").length === 2);
    const checks = named(childrenOf(t.receiver.spans, root), "validation").sort(
      (a, b) => Number(a.attributes["gateway.validation.attempt"]) - Number(b.attributes["gateway.validation.attempt"]),
    );
    expect(checks.map((s) => [s.attributes["gateway.validation.attempt"], s.attributes["gateway.validation.valid"]])).toEqual([
      [1, false],
      [2, false],
    ]);
    // Two answers were asked for: two upstream calls, two CLIENT spans.
    expect(named(childrenOf(t.receiver.spans, root), "chat mock-tagged")).toHaveLength(2);
  });
});

describe("content capture", () => {
  it("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true puts prompt, summaries and answer on the spans, in the conventions' message shape", async () => {
    const t = await traced({}, { captureContent: true });
    const r = await postStaged(t.gateway.url, { model: "mock-tagged", messages: userMessage(PROMPT) });
    const root = await requestSpan(t, String(r.headers.get("x-request-id")), (spans, root) => childrenOf(spans, root).length >= 3);
    expect(JSON.parse(String(root.attributes["gen_ai.input.messages"]))).toEqual([{ role: "user", parts: [{ type: "text", content: PROMPT }] }]);
    expect(JSON.parse(String(root.attributes["gen_ai.output.messages"]))).toEqual([
      { role: "assistant", parts: [{ type: "text", content: answerOf(r) }], finish_reason: "stop" },
    ]);
    const [prompt] = named(childrenOf(t.receiver.spans, root), "prompt_summary");
    const summary = String(first(r, "summary.prompt").data.text);
    expect(JSON.parse(String(prompt?.attributes["gen_ai.output.messages"]))).toEqual([{ role: "assistant", parts: [{ type: "text", content: summary }] }]);
  });
});

describe("OTLP/HTTP encodings", () => {
  it("sends protobuf by default, JSON with OTEL_EXPORTER_OTLP_PROTOCOL=http/json", async () => {
    for (const protocol of ["http/protobuf", "http/json"] as const) {
      const t = await traced({}, { protocol });
      const r = await postStaged(t.gateway.url, { model: "mock-tagged", messages: userMessage(PROMPT) });
      const root = await requestSpan(t, String(r.headers.get("x-request-id")));
      expect(root.name).toBe("chat mock-tagged");
      expect(t.receiver.requests[0]?.contentType).toBe(protocol === "http/json" ? "application/json" : "application/x-protobuf");
    }
  });
});

describe("tracing off", () => {
  it("sends no traceparent upstream and exports nothing", async () => {
    const receiver = await startOtlpReceiver();
    open.push(() => receiver.close());
    const mock = await startMockUpstream();
    open.push(() => mock.close());
    const gateway = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl });
    open.push(() => gateway.close());
    const r = await postStaged(
      gateway.url,
      { model: "mock-tagged", messages: userMessage(PROMPT) },
      { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } },
    );
    expect(r.status).toBe(200);
    expect(mock.mock.calls).toHaveLength(3);
    for (const call of mock.mock.calls) expect(call.headers).not.toHaveProperty("traceparent");
    expect(receiver.requests).toEqual([]);
  });
});
