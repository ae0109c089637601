import { describe, expect, it } from "vitest";
import type { Source, StagedEvent, Timings } from "../../../src/events/index.js";
import type { Failure } from "../../../src/pipeline/index.js";
import { aiSdkEncoder, aiSdkUsage } from "../../../src/surfaces/index.js";
import { sseText } from "../../helpers/encoders.js";
import { readUiText, uiText } from "../../helpers/ui-stream.js";

/*
 * The UI message stream encoder, read back by the AI SDK itself (DefaultChatTransport's parser
 * and chunk schema, then readUIMessageStream): a chunk of the wrong shape, or out of the
 * protocol's order, fails these tests as it would fail useChat.
 */

const rid = "req1";
const timings: Timings = { prompt_summary: 1, reasoning_end: 2, reasoning_summary: 3, first_output: 4, total: 5 };
const sources: Source[] = [
  { index: 1, title: "Rayleigh scattering", url: "https://example.org/rayleigh", snippet: "Short wavelengths scatter more." },
  { index: 2, title: "Sunsets", url: "https://example.org/sunset", snippet: "Red at dusk." },
];
const ANSWER = "  Blue light scatters more [1].\nSunsets are red [2].  ";

const ev = {
  prompt: (text = "Asks why the sky is blue."): StagedEvent => ({ event: "summary.prompt", data: { request_id: rid, text, source: "model" } }),
  sources: (): StagedEvent => ({ event: "research.sources", data: { request_id: rid, query: "sky blue", sources } }),
  progress: (index: number, text: string): StagedEvent => ({ event: "summary.progress", data: { request_id: rid, index, text, source: "model" } }),
  reasoning: (text = "- Rayleigh scattering"): StagedEvent => ({
    event: "summary.reasoning",
    data: { request_id: rid, text, source: text === "" ? "empty" : "model" },
  }),
  delta: (text: string): StagedEvent => ({ event: "output.delta", data: { request_id: rid, text } }),
  tools: (tool_calls: Extract<StagedEvent, { event: "output.tool_calls" }>["data"]["tool_calls"]): StagedEvent => ({
    event: "output.tool_calls",
    data: { request_id: rid, tool_calls },
  }),
  done: (finish_reason: string | null = "stop", extra: Record<string, unknown> = {}): StagedEvent => ({
    event: "output.done",
    data: { request_id: rid, finish_reason, timings, ...extra },
  }),
};

function encode(events: StagedEvent[], opts: { failure?: Failure; messageId?: string } = {}): string {
  const enc = aiSdkEncoder({ requestId: rid, model: "m", messageId: opts.messageId ?? "msg-1" });
  let text = events.map((e) => sseText((o) => enc.event(e, o))).join("");
  text += opts.failure ? sseText((o) => enc.failure(opts.failure as Failure, o)) : sseText((o) => enc.end(o));
  return text;
}

describe("aiSdkEncoder, read by the AI SDK", () => {
  it("a whole staged run: data parts, one reasoning part in staged order, sources, the answer byte for byte, usage on finish", async () => {
    const sse = encode([
      ev.prompt(),
      ev.sources(),
      ev.progress(1, "**Recalling physics**: scattering."),
      ev.progress(2, "**Checking sunsets**: longer path."),
      ev.reasoning(),
      ...[...ANSWER].map((ch) => ev.delta(ch)),
      ev.done("stop", { usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30, completion_tokens_details: { reasoning_tokens: 12 } } }),
    ]);
    // The SDK's own framing: `data:` lines only, the last one `[DONE]`.
    expect(
      sse
        .split("\n\n")
        .filter(Boolean)
        .every((f) => f.startsWith("data: ") && !f.includes("\nevent:")),
    ).toBe(true);
    expect(sse.endsWith("data: [DONE]\n\n")).toBe(true);

    const { chunks, message, errors } = await readUiText(sse);
    expect(errors).toEqual([]);
    expect(chunks[0]).toEqual({ type: "start", messageId: "msg-1", messageMetadata: { requestId: rid, model: "m" } });
    expect(chunks.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
    const types = chunks.map((c) => c.type);
    // Stage order: prompt summary, sources, progress, reasoning summary, then the answer.
    const at = (t: string) => types.indexOf(t as (typeof types)[number]);
    expect(at("data-prompt-summary")).toBeLessThan(at("source-url"));
    expect(at("source-url")).toBeLessThan(at("data-progress"));
    expect(at("data-progress")).toBeLessThan(at("data-reasoning-summary"));
    expect(at("reasoning-end")).toBeLessThan(at("text-start"));

    expect(message?.id).toBe("msg-1");
    expect(uiText(message)).toBe(ANSWER);
    expect(message?.parts.map((p) => p.type)).toEqual([
      "step-start",
      "data-prompt-summary",
      "reasoning",
      "source-url",
      "source-url",
      "data-progress",
      "data-reasoning-summary",
      "text",
    ]);
    const reasoning = message?.parts.find((p) => p.type === "reasoning");
    expect(reasoning).toMatchObject({
      text: "Asks why the sky is blue.\n\n**Recalling physics**: scattering.\n\n**Checking sunsets**: longer path.\n\n- Rayleigh scattering",
      state: "done",
    });
    // Progress is one part, replaced in place: the latest one.
    expect(message?.parts.filter((p) => p.type === "data-progress")).toEqual([
      { type: "data-progress", id: `progress-${rid}`, data: { index: 2, text: "**Checking sunsets**: longer path.", source: "model" } },
    ]);
    expect(message?.parts.find((p) => p.type === "data-prompt-summary")).toEqual({
      type: "data-prompt-summary",
      id: `prompt-summary-${rid}`,
      data: { text: "Asks why the sky is blue.", source: "model" },
    });
    expect(message?.parts.find((p) => p.type === "data-reasoning-summary")).toMatchObject({
      id: `reasoning-summary-${rid}`,
      data: { text: "- Rayleigh scattering" },
    });
    expect(message?.parts.filter((p) => p.type === "source-url")).toEqual([
      expect.objectContaining({
        sourceId: "1",
        url: sources[0]?.url,
        title: sources[0]?.title,
        providerMetadata: { gateway: { index: 1, snippet: sources[0]?.snippet } },
      }),
      expect.objectContaining({ sourceId: "2", url: sources[1]?.url, title: sources[1]?.title }),
    ]);
    expect(message?.metadata).toEqual({
      requestId: rid,
      model: "m",
      usage: { inputTokens: 10, outputTokens: 20, totalTokens: 30, reasoningTokens: 12 },
      timings,
    });
  });

  it("tool calls stream as tool-input-start/delta and are available, parsed, at the end; finish says tool-calls", async () => {
    const sse = encode([
      ev.prompt(),
      ev.reasoning(),
      ev.tools([{ index: 0, id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":' } }]),
      ev.tools([{ index: 1, id: "call_t2", type: "function", function: { name: "get_time", arguments: "" } }]),
      ev.tools([{ index: 0, function: { arguments: ' "Paris"}' } }]),
      ev.done("tool_calls"),
    ]);
    const { chunks, message, errors } = await readUiText(sse);
    expect(errors).toEqual([]);
    expect(chunks.filter((c) => c.type.startsWith("tool-"))).toEqual([
      { type: "tool-input-start", toolCallId: "call_w1", toolName: "get_weather" },
      { type: "tool-input-delta", toolCallId: "call_w1", inputTextDelta: '{"city":' },
      { type: "tool-input-start", toolCallId: "call_t2", toolName: "get_time" },
      { type: "tool-input-delta", toolCallId: "call_w1", inputTextDelta: ' "Paris"}' },
      { type: "tool-input-available", toolCallId: "call_w1", toolName: "get_weather", input: { city: "Paris" } },
      { type: "tool-input-available", toolCallId: "call_t2", toolName: "get_time", input: {} },
    ]);
    expect(chunks.at(-1)).toMatchObject({ type: "finish", finishReason: "tool-calls" });
    expect(message?.parts.filter((p) => p.type.startsWith("tool-"))).toEqual([
      expect.objectContaining({ type: "tool-get_weather", toolCallId: "call_w1", state: "input-available", input: { city: "Paris" } }),
      expect.objectContaining({ type: "tool-get_time", toolCallId: "call_t2", state: "input-available", input: {} }),
    ]);
    expect(uiText(message)).toBe("");
  });

  it("arguments that are not JSON are a tool-input-error, not a broken stream", async () => {
    const sse = encode([
      ev.prompt(),
      ev.reasoning(),
      ev.tools([{ index: 0, id: "c1", type: "function", function: { name: "f", arguments: "{not json" } }]),
      ev.done("tool_calls"),
    ]);
    const { message, errors } = await readUiText(sse);
    expect(errors).toEqual([]);
    expect(message?.parts.find((p) => p.type === "tool-f")).toMatchObject({
      state: "output-error",
      errorText: "the model's tool arguments are not valid JSON",
    });
  });

  it("a failure after the stream began is an error chunk, which the SDK reports with its message", async () => {
    const failure: Failure = { status: 502, type: "upstream_error", code: "upstream_stream_error", message: "the upstream closed the stream", retryable: true };
    const sse = encode([ev.prompt(), ev.reasoning(), ev.delta("Partial ")], { failure });
    const { chunks, message, errors } = await readUiText(sse);
    expect(chunks.at(-1)).toEqual({ type: "error", errorText: "the upstream closed the stream" });
    expect(errors.map((e) => e.message)).toEqual(["the upstream closed the stream"]);
    expect(uiText(message)).toBe("Partial ");
    expect(sse).not.toContain("[DONE]");
  });

  it("a retry and a fallen-back stage are transient data parts: seen as chunks, not kept in the message, never an error", async () => {
    const sse = encode([
      ev.prompt(),
      { event: "error", data: { request_id: rid, stage: "reasoning_summary", message: "summary timed out", code: "summary_timeout", retryable: true } },
      {
        event: "upstream.retry",
        data: { request_id: rid, provider: "p", attempt: 1, max_retries: 3, delay_ms: 100, code: "upstream_5xx", message: "bad gateway" },
      },
      ev.reasoning("The first sentence."),
      ev.delta("ok"),
      ev.done(),
    ]);
    const { chunks, message, errors } = await readUiText(sse);
    expect(errors).toEqual([]);
    expect(chunks.filter((c) => c.type === "data-stage-error" || c.type === "data-upstream-retry")).toEqual([
      {
        type: "data-stage-error",
        data: { stage: "reasoning_summary", code: "summary_timeout", message: "summary timed out", retryable: true },
        transient: true,
      },
      {
        type: "data-upstream-retry",
        data: { provider: "p", attempt: 1, maxRetries: 3, delayMs: 100, code: "upstream_5xx", message: "bad gateway" },
        transient: true,
      },
    ]);
    expect(message?.parts.map((p) => p.type)).toEqual(["step-start", "data-prompt-summary", "reasoning", "data-reasoning-summary", "text"]);
  });

  it("an empty reasoning summary adds nothing to the reasoning part; no summaries at all means no reasoning part", async () => {
    const one = await readUiText(encode([ev.prompt(), ev.reasoning(""), ev.delta("A"), ev.done()]));
    expect(one.message?.parts.find((p) => p.type === "reasoning")).toMatchObject({ text: "Asks why the sky is blue.", state: "done" });
    expect(one.message?.parts.find((p) => p.type === "data-reasoning-summary")).toMatchObject({ data: { text: "", source: "empty" } });
    const none = await readUiText(encode([ev.prompt(""), ev.reasoning(""), ev.delta("A"), ev.done()]));
    expect(none.errors).toEqual([]);
    expect(none.message?.parts.some((p) => p.type === "reasoning")).toBe(false);
    expect(uiText(none.message)).toBe("A");
  });

  it("include_reasoning: the model's own reasoning is a second reasoning part, live, ended before the reasoning summary", async () => {
    const raw = (text: string): StagedEvent => ({ event: "reasoning.delta", data: { request_id: rid, text } });
    const sse = encode([
      ev.prompt(),
      raw("First, "),
      ev.progress(1, "**Thinking**: about light."),
      raw("light scatters."),
      ev.reasoning(),
      ev.delta("Blue."),
      ev.done(),
    ]);
    const { chunks, message, errors } = await readUiText(sse);
    expect(errors).toEqual([]);
    const reasoning = message?.parts.filter((p) => p.type === "reasoning");
    expect(reasoning).toEqual([
      expect.objectContaining({
        text: "Asks why the sky is blue.\n\n**Thinking**: about light.\n\n- Rayleigh scattering",
        state: "done",
        providerMetadata: { gateway: { kind: "summaries" } },
      }),
      expect.objectContaining({ text: "First, light scatters.", state: "done", providerMetadata: { gateway: { kind: "model" } } }),
    ]);
    const ends = chunks.flatMap((c, i) => (c.type === "reasoning-end" ? [i] : []));
    expect(ends[0]).toBeLessThan(chunks.findIndex((c) => c.type === "data-reasoning-summary"));
    expect(uiText(message)).toBe("Blue.");
  });

  it("a continued assistant message keeps its id; finish reasons take the SDK's names", async () => {
    const read = await readUiText(encode([ev.prompt(), ev.reasoning(), ev.delta("x"), ev.done("length")], { messageId: "assistant-7" }));
    expect(read.message?.id).toBe("assistant-7");
    expect(read.chunks.at(-1)).toMatchObject({ type: "finish", finishReason: "length" });
    const other = await readUiText(encode([ev.prompt(), ev.reasoning(), ev.delta("x"), ev.done("something_new")]));
    expect(other.chunks.at(-1)).toMatchObject({ type: "finish", finishReason: "other" });
  });
});

describe("aiSdkUsage", () => {
  it("renames the counts the upstream reported and invents none", () => {
    expect(aiSdkUsage({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 2 } })).toEqual({
      inputTokens: 3,
      outputTokens: 4,
      totalTokens: 7,
      cachedInputTokens: 2,
    });
    expect(aiSdkUsage({})).toEqual({});
  });
});
