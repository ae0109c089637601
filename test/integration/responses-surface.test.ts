import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText } from "ai";
import OpenAI, { BadRequestError } from "openai";
import type { ResponseInputItem } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import type { ScriptedChunk } from "../../mock-upstream/script.js";
import { sample } from "../helpers/prom.js";
import { useStack } from "../helpers/stack.js";

/*
 * `/openai/v1/responses` driven by the official `openai` SDK's strict ResponseStream accumulator
 * and by the Vercel AI SDK's Responses model: any open reasoning model behind the gateway looks
 * like a model with reasoning summary parts.
 */

const stack = useStack();
const ANSWER = "    Paris is the capital of France.\nIt sits on the Seine.";
const REASONING = "The user asks about the capital of France. France's capital city is Paris. Paris is on the Seine river.";
const client = (url: string) => new OpenAI({ baseURL: `${url}/openai/v1`, apiKey: "unused", maxRetries: 0 });

const weather = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

const toolScript: ScriptedChunk[] = [
  { delta: { role: "assistant", reasoning_content: "The user wants the weather. I will call the tool." } },
  { delta: { tool_calls: [{ index: 0, id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":' } }] } },
  { delta: { tool_calls: [{ index: 0, function: { arguments: ' "Paris"}' } }] }, finish_reason: "tool_calls" },
];

describe("/openai/v1/responses with the official openai SDK", () => {
  it("responses.stream() → finalResponse(): a reasoning item whose parts are the summaries, then output_text byte for byte", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER, reasoningText: REASONING });
    const stream = client(gateway.url).responses.stream({ model: "mock-reasoning_content", input: "What is the capital of France?" });
    const summaryIndexes: number[] = [];
    let sequence = -1;
    for await (const event of stream) {
      expect(event.sequence_number).toBeGreaterThan(sequence);
      sequence = event.sequence_number;
      if (event.type === "response.reasoning_summary_text.delta") summaryIndexes.push(event.summary_index);
    }
    const final = await stream.finalResponse();
    expect(final.status).toBe("completed");
    // The stream helper does not add the `output_text` convenience; read the message's output_text part.
    const message = final.output.find((o) => o.type === "message");
    const text = message?.type === "message" ? message.content.map((c) => (c.type === "output_text" ? c.text : "")).join("") : undefined;
    expect(text).toBe(ANSWER);
    const reasoning = final.output.find((o) => o.type === "reasoning");
    expect(reasoning?.type).toBe("reasoning");
    const parts = reasoning?.type === "reasoning" ? reasoning.summary.map((p) => p.text) : [];
    expect(parts.length).toBeGreaterThanOrEqual(2);
    // Part 0 is the prompt summary, the last part the reasoning summary.
    const promptCall = mock.mock.calls.find((c) => c.kind === "prompt_summary");
    expect(promptCall).toBeDefined();
    expect(parts.at(-1)).toMatch(/^- /m);
    expect(parts[0]).not.toMatch(/^- /m);
    expect(summaryIndexes).toEqual(parts.map((_, i) => i));
    expect(final.usage?.output_tokens).toBeGreaterThan(0);
    expect(final.output.map((o) => o.type)).toEqual(["reasoning", "message"]);
  });

  it("progress summaries become summary parts between the prompt summary and the reasoning summary", async () => {
    const { gateway, mock } = await stack({ longReasoningSeconds: 2 }, { REASONING_PROGRESS_SECONDS: "0.4" });
    const final = await client(gateway.url).responses.stream({ model: "mock-long-think", input: "Why is the sky blue?" }).finalResponse();
    const reasoning = final.output.find((o) => o.type === "reasoning");
    const parts = reasoning?.type === "reasoning" ? reasoning.summary.map((p) => p.text) : [];
    // The gateway's own count of progress summaries sent is the parts between the two summaries. A
    // call still running when the reasoning ended is cancelled (the mock may have finished it
    // meanwhile, or never seen it): every call the mock saw was sent, cancelled or failed, and every
    // summary sent was a call the mock completed.
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    const [sent, cancelled, failed] = ["sent", "cancelled", "failed"].map((outcome) => sample(metrics, "gateway_progress_summaries_total", { outcome }) ?? 0);
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(parts.length).toBe(2 + sent!);
    const progressCalls = mock.mock.calls.filter((c) => c.kind === "progress_summary");
    expect(progressCalls.length).toBeLessThanOrEqual(sent! + cancelled! + failed!);
    expect(progressCalls.filter((c) => c.outcome === "completed").length).toBeGreaterThanOrEqual(sent!);
    for (const p of parts.slice(1, -1)) expect(p).toMatch(/^\*\*.+\*\*: /);
  });

  it("non-streamed responses.create returns the same shape, and output_text is exact", async () => {
    const { gateway } = await stack({ answerText: ANSWER, reasoningText: REASONING });
    const res = await client(gateway.url).responses.create({
      model: "mock-think",
      input: [{ role: "user", content: "Capital of France?" }],
      instructions: "Be brief.",
    });
    expect(res.object).toBe("response");
    expect(res.output_text).toBe(ANSWER);
    expect(res.output[0]?.type).toBe("reasoning");
    expect(res.instructions).toBe("Be brief.");
  });

  it("a tool call comes back as a function_call item, and a multi-turn conversation passes previous output back as input", async () => {
    const { gateway, mock } = await stack({ script: toolScript });
    const api = client(gateway.url);
    const first = await api.responses.stream({ model: "mock-script", input: "Weather in Paris?", tools: [weather] }).finalResponse();
    const call = first.output.find((o) => o.type === "function_call");
    expect(call).toMatchObject({ type: "function_call", call_id: "call_w1", name: "get_weather", arguments: '{"city": "Paris"}' });
    expect(mock.mock.calls.find((c) => c.kind === "chat")?.body.tools).toEqual([
      { type: "function", function: { name: "get_weather", description: "Weather for a city", parameters: weather.parameters, strict: false } },
    ]);

    mock.mock.configure({ script: [{ delta: { content: "It is 21 °C in Paris." }, finish_reason: "stop" }] });
    const input: ResponseInputItem[] = [
      { role: "user", content: "Weather in Paris?" },
      ...(first.output as ResponseInputItem[]),
      { type: "function_call_output", call_id: "call_w1", output: '{"temp_c":21}' },
    ];
    const second = await api.responses.create({ model: "mock-script", input, tools: [weather] });
    expect(second.output_text).toBe("It is 21 °C in Paris.");
    const sent = mock.mock.calls.filter((c) => c.kind === "chat").at(-1)?.body.messages as Record<string, unknown>[];
    expect(sent.filter((m) => m.role !== "system")).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city": "Paris"}' } }],
      },
      { role: "tool", tool_call_id: "call_w1", content: '{"temp_c":21}' },
    ]);
  });

  it("an upstream 400 is the SDK's BadRequestError; a failure after the stream began is response.failed", async () => {
    const rejected = await stack({ faults: { fail: { status: 400, times: Infinity, message: "unsupported parameter: top_k" } } });
    const err = await client(rejected.gateway.url)
      .responses.create({ model: "mock-think", input: "hi", stream: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toContain("unsupported parameter: top_k");

    const { gateway } = await stack({
      reasoningText: "Short.",
      answerText: ANSWER.repeat(5),
      chunkChars: 6,
      latency: { answerChunkMs: 20 },
      faults: { dropAfterChunks: 15 },
    });
    const events: string[] = [];
    const stream = await client(gateway.url).responses.create({ model: "mock-reasoning_content", input: "hi", stream: true });
    for await (const e of stream) events.push(e.type);
    expect(events[0]).toBe("response.created");
    expect(events).toContain("response.output_text.delta");
    expect(events.at(-1)).toBe("response.failed");
    expect(events).not.toContain("response.completed");
  });

  it("previous_response_id and non-function tools are refused with a 400 that names them", async () => {
    const { gateway, mock } = await stack();
    const api = client(gateway.url);
    await expect(api.responses.create({ model: "mock-think", input: "hi", previous_response_id: "resp_1" })).rejects.toThrow(/previous_response_id/);
    await expect(api.responses.create({ model: "mock-think", input: "hi", tools: [{ type: "web_search_preview" }] })).rejects.toThrow(/tools\[0\]\.type/);
    expect(mock.mock.calls).toHaveLength(0);
  });
});

describe("/openai/v1/responses with the Vercel AI SDK (@ai-sdk/openai responses model)", () => {
  const provider = (url: string) => createOpenAI({ baseURL: `${url}/openai/v1`, apiKey: "unused" });

  it("streamText returns the answer as text and the summaries as reasoningText", async () => {
    const { gateway } = await stack({ answerText: ANSWER, reasoningText: REASONING });
    const r = streamText({ model: provider(gateway.url).responses("mock-think"), prompt: "What is the capital of France?" });
    expect(await r.text).toBe(ANSWER);
    expect((await r.reasoningText) ?? "").toMatch(/^- /m);
  });

  it("generateText returns the summaries as reasoningText", async () => {
    const { gateway } = await stack({ answerText: ANSWER, reasoningText: REASONING });
    const r = await generateText({ model: provider(gateway.url).responses("mock-think"), prompt: "What is the capital of France?" });
    expect(r.text).toBe(ANSWER);
    expect(r.reasoningText ?? "").toMatch(/^- /m);
  });
});
