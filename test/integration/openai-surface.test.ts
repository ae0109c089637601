import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, streamText } from "ai";
import OpenAI, { APIError, BadRequestError } from "openai";
import { describe, expect, it } from "vitest";
import type { ScriptedChunk } from "../../mock-upstream/script.js";
import { postStaged, userMessage } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

/*
 * `/openai/v1` driven by clients nobody here wrote: the official `openai` SDK and the Vercel AI
 * SDK, configured with nothing but a base URL. They must get exactly what OpenAI would give them,
 * with the staged summaries in `reasoning_content`.
 */

const stack = useStack();
const ANSWER = "Paris is the capital of France. It sits on the Seine.";
const REASONING = "The user asks about the capital of France. France's capital city is Paris. Paris is on the Seine river.";

function sdk(url: string, maxRetries = 0): OpenAI {
  return new OpenAI({ baseURL: `${url}/openai/v1`, apiKey: "unused", maxRetries });
}

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

/** One tool call cut into pieces: id and name first, the arguments in three fragments. */
const toolScript: ScriptedChunk[] = [
  { delta: { role: "assistant", reasoning_content: "The user wants the weather in Paris. " } },
  { delta: { reasoning_content: "I should call the weather tool." } },
  { delta: { tool_calls: [{ index: 0, id: "call_abc", type: "function", function: { name: "get_weather", arguments: "" } }] } },
  { delta: { tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] } },
  { delta: { tool_calls: [{ index: 0, function: { arguments: 'ty": "Par' } }] } },
  { delta: { tool_calls: [{ index: 0, function: { arguments: 'is"}' } }] }, finish_reason: "tool_calls" },
];

describe("/openai/v1 with the official openai SDK", () => {
  it("chat.completions.create without stream: one chat.completion, answer exact, summaries in reasoning_content", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER, reasoningText: REASONING });
    const res = await sdk(gateway.url).chat.completions.create({
      model: "mock-reasoning_content",
      messages: [{ role: "user", content: "What is the capital of France?" }],
    });
    expect(res.object).toBe("chat.completion");
    expect(res.choices[0]?.message.content).toBe(ANSWER);
    expect(res.choices[0]?.finish_reason).toBe("stop");
    const reasoning = (res.choices[0]?.message as unknown as { reasoning_content: string }).reasoning_content;
    const promptSummary = mock.mock.calls.find((c) => c.kind === "prompt_summary");
    expect(promptSummary).toBeDefined();
    // Prompt summary, blank line, reasoning summary.
    const parts = reasoning.split("\n\n");
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect(parts.at(-1)).toMatch(/^- /m);
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
    // The gateway's own extensions never reach the upstream, and the upstream call was streamed.
    const chat = mock.mock.calls.find((c) => c.kind === "chat");
    expect(chat?.body.stream).toBe(true);
  });

  it("stream: true gives only chat.completion.chunk objects: reasoning first, then the answer, then [DONE]", async () => {
    const { gateway } = await stack({ answerText: ANSWER, reasoningText: REASONING });
    const stream = await sdk(gateway.url).chat.completions.create({
      model: "mock-think",
      messages: [{ role: "user", content: "What is the capital of France?" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = "";
    let reasoning = "";
    let contentStartedAt = -1;
    let lastReasoningAt = -1;
    let finish: string | null = null;
    let usageTotal = 0;
    let i = 0;
    for await (const chunk of stream) {
      i++;
      expect(chunk.object).toBe("chat.completion.chunk");
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      if (delta?.reasoning_content) {
        reasoning += delta.reasoning_content;
        lastReasoningAt = i;
      }
      if (delta?.content) {
        if (contentStartedAt < 0) contentStartedAt = i;
        content += delta.content;
      }
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usageTotal = chunk.usage.total_tokens;
    }
    expect(content).toBe(ANSWER);
    expect(finish).toBe("stop");
    expect(usageTotal).toBeGreaterThan(0);
    expect(reasoning.split("\n\n").length).toBeGreaterThanOrEqual(2);
    expect(lastReasoningAt).toBeGreaterThan(0);
    expect(contentStartedAt).toBeGreaterThan(lastReasoningAt);
  });

  it("the SDK's chat.completions.stream() helper assembles a tool call split across chunks", async () => {
    const { gateway, mock } = await stack({ script: toolScript });
    const runner = sdk(gateway.url).chat.completions.stream({
      model: "mock-tools",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [weatherTool],
    });
    const final = await runner.finalChatCompletion();
    const choice = final.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.tool_calls).toEqual([{ id: "call_abc", type: "function", function: { name: "get_weather", arguments: '{"city": "Paris"}' } }]);
    // The tools reached the upstream untouched.
    expect(mock.mock.calls.find((c) => c.kind === "chat")?.body.tools).toEqual([weatherTool]);
  });

  it("non-streamed tool calls come back assembled, content null", async () => {
    const { gateway } = await stack({ script: toolScript });
    const res = await sdk(gateway.url).chat.completions.create({
      model: "mock-tools",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [weatherTool],
    });
    expect(res.choices[0]?.message.content).toBeNull();
    expect(res.choices[0]?.finish_reason).toBe("tool_calls");
    expect(res.choices[0]?.message.tool_calls?.[0]).toMatchObject({ id: "call_abc", function: { name: "get_weather", arguments: '{"city": "Paris"}' } });
  });

  it("an upstream 400 raises the SDK's BadRequestError with the upstream's message, streamed or not", async () => {
    const { gateway } = await stack({ faults: { fail: { status: 400, times: Infinity, message: "temperature: must be at most 2" } } });
    const client = sdk(gateway.url);
    const req = { model: "mock-think", messages: [{ role: "user" as const, content: "hi" }] };
    const plain = await client.chat.completions.create(req).catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(BadRequestError);
    expect((plain as BadRequestError).message).toContain("temperature: must be at most 2");
    const streamed = await client.chat.completions.create({ ...req, stream: true }).catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(BadRequestError);
  });

  it("a connection dropped mid-answer raises in the SDK's iterator instead of ending quietly", async () => {
    // Short reasoning, then a long answer paced slowly enough that the reasoning summary is out first.
    const { gateway } = await stack({
      reasoningText: "Short thought.",
      answerText: ANSWER.repeat(4),
      chunkChars: 8,
      latency: { answerChunkMs: 30 },
      faults: { dropAfterChunks: 12 },
    });
    const stream = await sdk(gateway.url).chat.completions.create({
      model: "mock-reasoning_content",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    let content = "";
    const err = await (async () => {
      for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? "";
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect(String((err as APIError).message)).toMatch(/broke|disconnect/i);
    expect(content.length).toBeGreaterThan(0);
  });

  it("models.list() and models.retrieve() answer in OpenAI's shape", async () => {
    const { gateway } = await stack();
    const client = sdk(gateway.url);
    const page = await client.models.list();
    expect(page.data.length).toBeGreaterThan(0);
    const id = page.data[0]?.id ?? "";
    expect((await client.models.retrieve(id)).id).toBe(id);
    await expect(client.models.retrieve("no-such-model")).rejects.toMatchObject({ status: 404 });
  });

  it("n > 1 is refused with a 400 that names the field", async () => {
    const { gateway, mock } = await stack();
    const err = await sdk(gateway.url)
      .chat.completions.create({ model: "mock-think", messages: [{ role: "user", content: "hi" }], n: 2 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toMatch(/^.*n: only 1 is supported/);
    expect(mock.mock.calls).toHaveLength(0);
  });
});

describe("/openai/v1 with the Vercel AI SDK (@ai-sdk/openai-compatible)", () => {
  const provider = (url: string) => createOpenAICompatible({ name: "gateway", baseURL: `${url}/openai/v1` });

  it("generateText returns the answer as text and the summaries as reasoningText", async () => {
    const { gateway } = await stack({ answerText: ANSWER, reasoningText: REASONING });
    const r = await generateText({ model: provider(gateway.url)("mock-reasoning"), prompt: "What is the capital of France?" });
    expect(r.text).toBe(ANSWER);
    expect(r.reasoningText ?? "").toMatch(/^- /m);
  });

  it("streamText returns the answer as text and the summaries as reasoningText", async () => {
    const { gateway } = await stack({ answerText: ANSWER, reasoningText: REASONING });
    const r = streamText({ model: provider(gateway.url)("mock-tagged"), prompt: "What is the capital of France?" });
    expect(await r.text).toBe(ANSWER);
    const reasoning = (await r.reasoningText) ?? "";
    expect(reasoning.split("\n\n").length).toBeGreaterThanOrEqual(2);
  });
});

describe("an upstream rejection is its status on every surface, never a race", () => {
  it("an upstream 400 asked 20 times per surface answers 20 × 400, even when the prompt summary is ready first", async () => {
    // The prompt summary is instant; the upstream's 400 comes 150 ms later.
    const { gateway } = await stack({
      latency: { promptSummaryMs: 0, headersMs: 150 },
      faults: { fail: { status: 400, times: Infinity, message: "bad parameter" } },
    });
    const statuses: Record<string, number[]> = { staged: [], stagedJson: [], openai: [], openaiStream: [] };
    const body = { model: "mock-think", messages: userMessage("hi") };
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        statuses.staged?.push((await postStaged(gateway.url, body)).status);
        statuses.stagedJson?.push((await postStaged(gateway.url, { ...body, stream: false })).status);
        for (const [key, stream] of [
          ["openai", false],
          ["openaiStream", true],
        ] as const) {
          const res = await fetch(`${gateway.url}/openai/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ ...body, stream }),
          });
          const json = (await res.json()) as { error: { message: string } };
          expect(json.error.message).toBe("bad parameter");
          statuses[key]?.push(res.status);
        }
      }),
    );
    for (const list of Object.values(statuses)) expect(list).toEqual(Array.from({ length: 20 }, () => 400));
  });
});
