import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { ENCRYPTED_REASONING } from "../../mock-upstream/scenarios.js";
import type { MockCall } from "../../mock-upstream/index.js";
import { answerOf, first, postStaged, userMessage } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

/*
 * Every open family's raw reasoning format, streamed by a server that does not parse it (the mock,
 * under the family's usual model name, markers cut every 3 characters), through the gateway with no
 * configuration: the exact answer, no marker in it or in the reasoning the summary call receives,
 * and a reasoning summary — on the staged, OpenAI chat and Responses surfaces.
 */

const stack = useStack();
const ANSWER = "Four — **4**.\n\n    2 + 2 = 4  # 答案 🎉 <b>ok</b>";
const REASONING = "The user asks what two plus two is. Adding two and two gives four. The answer should be short.";
/** Text that would mean a marker or wrapper leaked. */
const MARKERS = [
  "<think>",
  "</think>",
  "[THINK]",
  "[/THINK]",
  "<seed:",
  "</seed:",
  "◁",
  "▷",
  "<|",
  "|>",
  "Here is my",
  "<answer>",
  "</answer>",
  "<response>",
  "</response>",
  "<channel|>",
  "gAAAA",
];

interface Family {
  name: string;
  model: string;
  /** What else the request needs, e.g. a reasoning_effort that turns thinking on. */
  extra?: Record<string, unknown>;
  /** An unknown model, read in `auto` (which asks for tags): a field shape, not a family. */
  auto?: true;
}

const FAMILIES: Family[] = [
  { name: "gpt-oss (harmony)", model: "openai/gpt-oss-20b" },
  { name: "Magistral ([THINK])", model: "mistralai/Magistral-Small-2509" },
  { name: "Seed-OSS (<seed:think>)", model: "ByteDance-Seed/Seed-OSS-36B-Instruct" },
  { name: "Kimi (◁think▷)", model: "moonshotai/Kimi-VL-A3B-Thinking-2506" },
  { name: "Cohere Command A (thinking and response tokens)", model: "CohereLabs/command-a-reasoning-08-2025" },
  {
    name: "Granite 3.2 (phrases, thinking turned on by reasoning_effort)",
    model: "ibm-granite/granite-3.2-8b-instruct",
    extra: { reasoning_effort: "medium" },
  },
  { name: "Hunyuan A13B (<think> and <answer>)", model: "tencent/Hunyuan-A13B-Instruct" },
  { name: "ERNIE 4.5 thinking (lone </think> and <response>)", model: "baidu/ERNIE-4.5-21B-A3B-Thinking" },
  { name: "GLM-4.5 (<think>)", model: "zai-org/GLM-4.5-Air" },
  { name: "Qwen3 (<think>)", model: "Qwen/Qwen3-8B" },
  { name: "DeepSeek R1 (lone </think>)", model: "deepseek-ai/DeepSeek-R1-0528" },
  { name: "DeepSeek V3.1 (thinking turned on by reasoning_effort)", model: "deepseek-ai/DeepSeek-V3.1", extra: { reasoning_effort: "high" } },
  { name: "MiniMax-M2 (lone </think>)", model: "MiniMaxAI/MiniMax-M2" },
  { name: "Gemma 4 (thought channel)", model: "google/gemma-4-26B-A4B-it" },
  { name: "OpenRouter reasoning_details (with an encrypted item)", model: "mock-reasoning_details", auto: true },
];

const sdk = (url: string) => new OpenAI({ baseURL: `${url}/openai/v1`, apiKey: "unused", maxRetries: 0 });

/** The text the reasoning-summary call was given (its user message). */
function summarisedReasoning(calls: MockCall[]): string {
  const call = calls.find((c) => c.kind === "reasoning_summary");
  expect(call, "a reasoning summary call").toBeDefined();
  const messages = (call?.body.messages ?? []) as { role: string; content: string }[];
  return messages
    .filter((m) => m.role === "user")
    .map((m) => m.content)
    .join("\n");
}

function expectClean(text: string, what: string): void {
  for (const m of MARKERS) expect(text.includes(m), `${what} contains ${JSON.stringify(m)}: ${JSON.stringify(text.slice(0, 200))}`).toBe(false);
}

function expectSummarisedClean(calls: MockCall[]): void {
  const reasoning = summarisedReasoning(calls);
  expect(reasoning).toContain(REASONING);
  expectClean(reasoning, "the reasoning the summary saw");
}

describe.each(FAMILIES)("$name, raw, under its usual model name", (f) => {
  const body = { model: f.model, messages: userMessage("What is 2 + 2?"), ...f.extra };

  it("staged: exact answer, clean reasoning summarised, summary present", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER, reasoningText: REASONING, chunkChars: 3 });
    const r = await postStaged(gateway.url, body);
    expect(r.status).toBe(200);
    expect(answerOf(r)).toBe(ANSWER);
    const summary = first(r, "summary.reasoning").data;
    expect(summary.source).toBe("model");
    expect(String(summary.text)).toMatch(/^- /);
    expectSummarisedClean(mock.mock.calls);
    // The upstream got no tag instruction for a family that has its own markers, and no gateway field.
    const chat = mock.mock.calls.find((c) => c.kind === "chat");
    if (!f.auto) expect(JSON.stringify(chat?.body)).not.toContain("<analysis>");
    expect(r.raw).not.toContain(ENCRYPTED_REASONING);
  });

  it("/openai/v1/chat/completions: exact content, summaries in reasoning_content", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER, reasoningText: REASONING, chunkChars: 3 });
    const stream = await sdk(gateway.url).chat.completions.create({
      ...body,
      messages: [{ role: "user", content: "What is 2 + 2?" }],
      stream: true,
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    let content = "";
    let reasoning = "";
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      content += delta?.content ?? "";
      reasoning += delta?.reasoning_content ?? "";
    }
    expect(content).toBe(ANSWER);
    expect(reasoning.split("\n\n").at(-1)).toMatch(/^- /);
    expectClean(reasoning, "reasoning_content");
    expectSummarisedClean(mock.mock.calls);
  });

  it("/openai/v1/responses: exact output_text, a reasoning item with the summaries", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER, reasoningText: REASONING, chunkChars: 3 });
    const final = await sdk(gateway.url)
      .responses.stream({
        model: f.model,
        input: "What is 2 + 2?",
        ...(f.extra?.reasoning_effort !== undefined && { reasoning: { effort: f.extra.reasoning_effort as "high" } }),
      })
      .finalResponse();
    expect(final.output_text).toBe(ANSWER);
    const item = final.output.find((o) => o.type === "reasoning");
    expect(item?.type === "reasoning" && item.summary.at(-1)?.text).toMatch(/^- /);
    expectSummarisedClean(mock.mock.calls);
  });
});

describe("thinking controls reach the model", () => {
  it("reasoning_effort none turns Qwen3's thinking off through chat_template_kwargs, and the plain answer is exact", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER, reasoningText: REASONING, chunkChars: 3 });
    const r = await postStaged(gateway.url, { model: "Qwen/Qwen3-8B", messages: userMessage("2+2?"), reasoning_effort: "none" });
    expect(answerOf(r)).toBe(ANSWER);
    expect(first(r, "summary.reasoning").data).toMatchObject({ text: "", source: "empty" });
    const chat = mock.mock.calls.find((c) => c.kind === "chat");
    expect(chat?.body.chat_template_kwargs).toEqual({ enable_thinking: false });
    expect(chat?.body).not.toHaveProperty("reasoning_effort");
  });

  it("the Responses API's reasoning.effort reaches DeepSeek V3.1 as thinking: false, read as a plain answer", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER, reasoningText: REASONING, chunkChars: 3 });
    const res = await sdk(gateway.url).responses.create({
      model: "deepseek-ai/DeepSeek-V3.1",
      input: "2+2?",
      reasoning: { effort: "none" } as unknown as { effort: "low" },
    });
    expect(res.output_text).toBe(ANSWER);
    expect(mock.mock.calls.find((c) => c.kind === "chat")?.body.chat_template_kwargs).toEqual({ thinking: false });
  });

  it("Seed-OSS gets a thinking budget; gpt-oss a reasoning level", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER, reasoningText: REASONING, chunkChars: 3 });
    const seed = await postStaged(gateway.url, { model: "ByteDance-Seed/Seed-OSS-36B-Instruct", messages: userMessage("2+2?"), reasoning_effort: "none" });
    expect(answerOf(seed)).toBe(ANSWER);
    expect(mock.mock.calls.find((c) => c.kind === "chat")?.body.chat_template_kwargs).toEqual({ thinking_budget: 0 });
    mock.mock.reset();
    await postStaged(gateway.url, { model: "openai/gpt-oss-20b", messages: userMessage("2+2?"), reasoning_effort: "minimal" });
    expect(mock.mock.calls.find((c) => c.kind === "chat")?.body.reasoning_effort).toBe("low");
  });
});

describe("raw reasoning on request", () => {
  it("staged: reasoning.delta events carry the model's own reasoning, markers removed, before summary.reasoning", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER, reasoningText: REASONING, chunkChars: 3 });
    const r = await postStaged(gateway.url, { model: "mistralai/Magistral-Small-2509", messages: userMessage("2+2?"), include_reasoning: true });
    const raw = r.events
      .filter((e) => e.event === "reasoning.delta")
      .map((e) => String(e.data.text))
      .join("");
    expect(raw).toBe(REASONING);
    const order = r.events.map((e) => e.event);
    expect(order.indexOf("summary.prompt")).toBeLessThan(order.indexOf("reasoning.delta"));
    expect(order.lastIndexOf("reasoning.delta")).toBeLessThan(order.indexOf("summary.reasoning"));
    expect(answerOf(r)).toBe(ANSWER);
    // Our extension never reaches the upstream.
    expect(mock.mock.calls.find((c) => c.kind === "chat")?.body).not.toHaveProperty("include_reasoning");
  });

  it("OpenAI chat: the raw text in reasoning_content, set off from the summaries", async () => {
    const { gateway } = await stack({ answerText: ANSWER, reasoningText: REASONING, chunkChars: 3 });
    const res = await sdk(gateway.url).chat.completions.create({
      model: "openai/gpt-oss-20b",
      messages: [{ role: "user", content: "2+2?" }],
      include_reasoning: true,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const message = res.choices[0]?.message as unknown as { content: string; reasoning_content: string };
    expect(message.content).toBe(ANSWER);
    expect(message.reasoning_content.endsWith(`\n\n${REASONING}`)).toBe(true);
  });

  it("Responses: reasoning_text content parts, as OpenAI streams them for open-weight models", async () => {
    const { gateway } = await stack({ answerText: ANSWER, reasoningText: REASONING, chunkChars: 3 });
    const stream = sdk(gateway.url).responses.stream({ model: "tencent/Hunyuan-A13B-Instruct", input: "2+2?", include_reasoning: true } as Parameters<
      OpenAI["responses"]["stream"]
    >[0]);
    let deltas = "";
    stream.on("response.reasoning_text.delta", (e) => (deltas += e.delta));
    const final = await stream.finalResponse();
    const item = final.output.find((o) => o.type === "reasoning");
    // Hunyuan's reasoning ends with the line break before </think>.
    expect(item?.type === "reasoning" && item.content).toEqual([{ type: "reasoning_text", text: `${REASONING}\n` }]);
    expect(deltas).toBe(`${REASONING}\n`);
    expect(final.output_text).toBe(ANSWER);
  });

  it("ALLOW_RAW_REASONING=false refuses it with 403 on every surface, before any upstream call", async () => {
    const { gateway, mock } = await stack({}, { ALLOW_RAW_REASONING: "false" });
    const post = (path: string, b: Record<string, unknown>) =>
      fetch(`${gateway.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...b, include_reasoning: true }),
      });
    for (const [path, b] of [
      ["/v1/chat/completions", { model: "mock-think", messages: userMessage("hi") }],
      ["/openai/v1/chat/completions", { model: "mock-think", messages: userMessage("hi") }],
      ["/openai/v1/responses", { model: "mock-think", input: "hi" }],
    ] as const) {
      const res = await post(path, b);
      expect(res.status, path).toBe(403);
      const json = (await res.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe("raw_reasoning_forbidden");
      expect(json.error.message).toContain("ALLOW_RAW_REASONING");
    }
    expect(mock.mock.calls).toHaveLength(0);
    // Without the opt-in the summaries still flow.
    expect((await postStaged(gateway.url, { model: "mock-think", messages: userMessage("hi") })).status).toBe(200);
  });

  it("a non-boolean include_reasoning is a 400 naming the field", async () => {
    const { gateway } = await stack();
    const r = await postStaged(gateway.url, { model: "mock-think", messages: userMessage("hi"), include_reasoning: "yes" });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json)).toContain("include_reasoning");
  });
});
