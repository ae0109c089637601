import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { StagedEvent } from "../../../src/events/index.js";
import { createCollector, runStaged } from "../../../src/pipeline/index.js";
import { createOrderedEmitter } from "../../../src/pipeline/ordering.js";
import { planUpstreamCall } from "../../../src/pipeline/request.js";
import { answerOf, delta, fakes, recordingSink, request } from "./fakes.js";

const rawOf = (events: StagedEvent[]): string => events.flatMap((e) => (e.event === "reasoning.delta" ? [e.data.text] : [])).join("");
const names = (events: StagedEvent[]): string[] => events.map((e) => e.event).filter((n, i, all) => n !== all[i - 1]);

describe("raw reasoning on request (include_reasoning)", () => {
  const mistral = [delta({ content: "[THINK]Two " }), delta({ content: "plus two.[/TH" }), delta({ content: "INK]Four." }), delta({ finishReason: "stop" })];

  it("streams the model's own reasoning, markers removed, between summary.prompt and summary.reasoning", async () => {
    const f = fakes(mistral);
    const { sink, events } = recordingSink();
    await runStaged(request({ model: "magistral-small", includeReasoning: true }), f.deps, sink, new AbortController().signal);
    expect(names(events)).toEqual(["summary.prompt", "reasoning.delta", "summary.reasoning", "output.delta", "output.done"]);
    expect(rawOf(events)).toBe("Two plus two.");
    expect(answerOf(events)).toBe("Four.");
    // The summary saw the same text, without a marker.
    expect(f.summaries.find((s) => s.kind === "reasoning")?.text).toBe("Two plus two.");
  });

  it("sends none without the opt-in", async () => {
    const f = fakes(mistral);
    const { sink, events } = recordingSink();
    await runStaged(request({ model: "magistral-small" }), f.deps, sink, new AbortController().signal);
    expect(events.some((e) => e.event === "reasoning.delta")).toBe(false);
    expect(answerOf(events)).toBe("Four.");
  });

  it("is collected for stream:false", async () => {
    const f = fakes(mistral);
    const { sink, result } = createCollector();
    await runStaged(request({ model: "magistral-small", stream: false, includeReasoning: true }), f.deps, sink, new AbortController().signal);
    expect(result.reasoning).toBe("Two plus two.");
    expect(result.answer).toBe("Four.");
  });
});

describe("the ordered emitter and raw reasoning", () => {
  function emitter(maxHeldChars = 100) {
    const events: StagedEvent[] = [];
    const out = createOrderedEmitter(
      "r",
      (e) => void events.push(e),
      () => undefined,
      { expectSources: false, maxHeldChars },
    );
    return { out, events };
  }

  it("holds raw reasoning until summary.prompt, in arrival order with progress summaries", () => {
    const { out, events } = emitter();
    out.reasoningDelta("a");
    out.progress(0, "p0", "model");
    out.reasoningDelta("b");
    out.reasoningDelta("c");
    expect(events).toEqual([]);
    out.promptSummary("prompt", "model");
    out.reasoningDelta("d");
    expect(events.map((e) => [e.event, "text" in e.data ? e.data.text : ""])).toEqual([
      ["summary.prompt", "prompt"],
      ["reasoning.delta", "a"],
      ["summary.progress", "p0"],
      ["reasoning.delta", "bc"],
      ["reasoning.delta", "d"],
    ]);
  });

  it("counts held raw reasoning against the cap, so the upstream pauses instead of memory growing", async () => {
    const { out } = emitter(10);
    out.reasoningDelta("12345");
    expect(out.waitForRoom()).toBeUndefined();
    out.reasoningDelta("67890");
    const wait = out.waitForRoom();
    expect(wait).toBeInstanceOf(Promise);
    out.promptSummary("p", "model");
    await wait; // released once the held reasoning went out
    expect(out.waitForRoom()).toBeUndefined();
  });

  it("sends no raw reasoning after summary.reasoning", () => {
    const { out, events } = emitter();
    out.promptSummary("p", "model");
    out.reasoningSummary("r", "model");
    out.reasoningDelta("late");
    expect(events.some((e) => e.event === "reasoning.delta")).toBe(false);
  });
});

describe("raw formats through the pipeline", () => {
  it("gpt-oss harmony: a recipient message becomes a tool call with a request-unique id", async () => {
    const f = fakes([
      delta({
        content: "<|channel|>analysis<|message|>Need the tool.<|end|><|start|>assistant<|channel|>commentary to=functions.lookup <|constrain|>json<|message|>",
      }),
      delta({ content: '{"q":"x"}<|call|>' }),
      delta({ finishReason: "stop" }),
    ]);
    const { sink, result } = createCollector();
    await runStaged(request({ model: "openai/gpt-oss-20b", stream: false }), f.deps, sink, new AbortController().signal);
    expect(result.toolCalls).toEqual([{ id: "call_req-1_0", type: "function", function: { name: "lookup", arguments: '{"q":"x"}' } }]);
    expect(result.answer).toBe("");
    expect(f.summaries.find((s) => s.kind === "reasoning")?.text).toBe("Need the tool.");
    // A family with its own markers gets no tag instruction.
    expect(JSON.stringify(f.bodies[0])).not.toContain("<analysis>");
  });

  it("counts encrypted reasoning in the request's log line", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "info" }, new Writable({ write: (chunk: Buffer, _e, done) => void (lines.push(chunk.toString()), done()) }));
    const f = fakes([delta({ reasoning: "shown", encryptedReasoning: 2 }), delta({ encryptedReasoning: 1 }), delta({ content: "A" })]);
    const { sink } = recordingSink();
    const result = await runStaged(request(), { ...f.deps, logger }, sink, new AbortController().signal);
    result.record("ok", 200); // what the HTTP edge does once it knows what the client got
    const done = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "request completed");
    expect(done?.encrypted_reasoning).toBe(3);
  });
});

describe("planUpstreamCall: thinking controls per family", () => {
  const openai = { kind: "openai" as const };
  const plan = (
    model: string,
    passthrough: Record<string, unknown>,
    target: { kind?: "openai" | "anthropic" | "gemini" | "ollama"; native?: Record<string, unknown> } = openai,
  ) => planUpstreamCall(request({ model, passthrough }), "auto", { upstreamModel: model, target });

  it("Qwen3: reasoning_effort none becomes enable_thinking false, and reasoning_effort is not sent", () => {
    const { body } = planUpstreamCall(request({ model: "qwen3-8b", passthrough: { reasoning_effort: "none" } }), "think-open", {
      upstreamModel: "qwen3-8b",
      target: openai,
    });
    expect(body.chat_template_kwargs).toEqual({ enable_thinking: false });
    expect(body).not.toHaveProperty("reasoning_effort");
  });

  it("the client's own chat_template_kwargs win over the mapped ones", () => {
    const { body } = planUpstreamCall(
      request({ model: "qwen3-8b", passthrough: { reasoning_effort: "none", chat_template_kwargs: { enable_thinking: true, x: 1 } } }),
      "think-open",
      {
        upstreamModel: "qwen3-8b",
        target: openai,
      },
    );
    expect(body.chat_template_kwargs).toEqual({ enable_thinking: true, x: 1 });
  });

  it("DeepSeek V3.1: thinking turned on is read R1 style; off, plain", () => {
    const on = planUpstreamCall(request({ model: "deepseek-v3.1", passthrough: { reasoning_effort: "high" } }), "deepseek-v3", {
      upstreamModel: "deepseek-ai/DeepSeek-V3.1",
      target: openai,
    });
    expect(on.body.chat_template_kwargs).toEqual({ thinking: true });
    expect(on.mode).toBe("think");
    const off = planUpstreamCall(request({ model: "deepseek-v3.1" }), "deepseek-v3", { upstreamModel: "deepseek-ai/DeepSeek-V3.1", target: openai });
    expect(off.mode).toBe("think-open");
  });

  it("gpt-oss keeps reasoning_effort, as one of its three levels", () => {
    expect(
      planUpstreamCall(request({ model: "gpt-oss-20b", passthrough: { reasoning_effort: "none" } }), "harmony", {
        upstreamModel: "gpt-oss-20b",
        target: openai,
      }).body.reasoning_effort,
    ).toBe("low");
  });

  it("a model without a switch gets reasoning_effort unchanged, and auto keeps the tag instruction", () => {
    const { body, mode } = plan("gpt-4o", { reasoning_effort: "high" });
    expect(body.reasoning_effort).toBe("high");
    expect(mode).toBe("auto");
    expect(JSON.stringify(body.messages)).toContain("<analysis>");
  });

  it("native APIs map the effort themselves; auto reads them by their fields", () => {
    expect(plan("claude-x", { reasoning_effort: "low" }, { kind: "anthropic" }).mode).toBe("fields");
    expect(plan("claude-x", {}, { kind: "anthropic" }).mode).toBe("auto");
    expect(plan("gemini-2.5-flash", { reasoning_effort: "none" }, { kind: "gemini" }).mode).toBe("auto");
    expect(plan("claude-x", { reasoning_effort: "low" }, { kind: "anthropic" }).body.reasoning_effort).toBe("low");
  });
});
