import type { UIMessage, UIMessageChunk } from "ai";
import { afterEach, describe, expect, it } from "vitest";
import type { ScriptedChunk } from "../../mock-upstream/script.js";
import { searxngResult, startFakeSearxng, type FakeSearxng } from "../helpers/searxng.js";
import { useStack } from "../helpers/stack.js";
import { readUi, sendUi, uiText, uiTransport, userUi } from "../helpers/ui-stream.js";

/*
 * `/ai-sdk/v1/chat` over real sockets against the mock upstream, read by the AI SDK itself:
 * DefaultChatTransport sends what useChat sends and parses the stream with the SDK's chunk
 * schema; readUIMessageStream builds the message useChat would show.
 */

const stack = useStack();
const servers: FakeSearxng[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const ANSWER = "    Paris is the capital of France.\nIt sits on the Seine.  ";
const REASONING = "The user asks about the capital of France. France's capital city is Paris. Paris is on the Seine river.";
const api = (url: string) => `${url}/ai-sdk/v1/chat`;
const transport = (url: string, body: Record<string, unknown> = { model: "mock-reasoning_content" }, headers?: Record<string, string>) =>
  uiTransport(api(url), { body, ...(headers && { headers }) });
const post = (url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(api(url), { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body), ...(signal && { signal }) });
const typesOf = (chunks: UIMessageChunk[]) => chunks.map((c) => c.type);
const firstAt = (chunks: UIMessageChunk[], type: string) => chunks.findIndex((c) => c.type === type);

/** Read chunks until `until` matches, then abort the request (the way useChat's stop does). */
async function readUntil(stream: ReadableStream<UIMessageChunk>, until: (c: UIMessageChunk) => boolean, abort: AbortController): Promise<UIMessageChunk[]> {
  const seen: UIMessageChunk[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    seen.push(value);
    if (until(value)) break;
  }
  abort.abort();
  await reader.cancel().catch(() => undefined);
  return seen;
}

const weatherScript: ScriptedChunk[] = [
  { delta: { role: "assistant", reasoning_content: "The user wants the weather. I will call the tool." } },
  { delta: { tool_calls: [{ index: 0, id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":' } }] } },
  { delta: { tool_calls: [{ index: 0, function: { arguments: ' "Paris"}' } }] }, finish_reason: "tool_calls" },
];
const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("POST /ai-sdk/v1/chat, read by the AI SDK", () => {
  it("the UI message stream header, then start, prompt summary, reasoning summary and the answer byte for byte, finish with usage, [DONE]", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER, reasoningText: REASONING, chunkChars: 7 });
    const raw = await post(gateway.url, {
      id: "chat-1",
      messages: [userUi("What is the capital of France?")],
      trigger: "submit-message",
      model: "mock-reasoning_content",
    });
    expect(raw.status).toBe(200);
    expect(raw.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    expect(raw.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const requestId = raw.headers.get("x-request-id") ?? "";
    expect((await raw.text()).endsWith("data: [DONE]\n\n")).toBe(true);

    const { chunks, message, errors } = await readUi(await sendUi(transport(gateway.url), [userUi("What is the capital of France?")]));
    expect(errors).toEqual([]);
    const types = typesOf(chunks);
    expect(types[0]).toBe("start");
    expect(types.at(-1)).toBe("finish");
    expect(firstAt(chunks, "data-prompt-summary")).toBeLessThan(firstAt(chunks, "data-reasoning-summary"));
    expect(firstAt(chunks, "data-reasoning-summary")).toBeLessThan(firstAt(chunks, "text-start"));
    expect(firstAt(chunks, "reasoning-end")).toBeLessThan(firstAt(chunks, "text-delta"));
    expect(uiText(message)).toBe(ANSWER);
    const reasoning = message?.parts.find((p) => p.type === "reasoning");
    const prompt = message?.parts.find((p) => p.type === "data-prompt-summary");
    const summary = message?.parts.find((p) => p.type === "data-reasoning-summary");
    expect(prompt?.type === "data-prompt-summary" && (prompt.data as { text: string }).text).toBeTruthy();
    expect((summary as { data: { text: string } } | undefined)?.data.text).toMatch(/^- /m);
    // The reasoning part is the same summaries, in their order.
    expect(reasoning?.type === "reasoning" && reasoning.text).toBe(
      `${(prompt as { data: { text: string } }).data.text}\n\n${(summary as { data: { text: string } }).data.text}`,
    );
    expect(message?.metadata).toMatchObject({
      model: "mock-reasoning_content",
      usage: { outputTokens: expect.any(Number) },
      timings: { total: expect.any(Number) },
    });
    expect(chunks.at(-1)).toMatchObject({ type: "finish", finishReason: "stop" });
    // What went upstream: chat messages, and none of useChat's or the gateway's own fields.
    const sent = mock.mock.calls.filter((c) => c.kind === "chat").at(-1)?.body ?? {};
    expect((sent.messages as { role: string }[]).filter((m) => m.role !== "system")).toEqual([{ role: "user", content: "What is the capital of France?" }]);
    for (const field of ["id", "trigger", "messageId", "summary_model", "research"]) expect(sent).not.toHaveProperty(field);
    expect(requestId).not.toBe("");
  });

  it("progress summaries arrive live between the prompt summary and the reasoning summary, one data-progress part replaced in place", async () => {
    const { gateway, mock } = await stack({ longReasoningSeconds: 2 }, { REASONING_PROGRESS_SECONDS: "0.4" });
    const { chunks, message, errors } = await readUi(await sendUi(transport(gateway.url, { model: "mock-long-think" }), [userUi("Why is the sky blue?")]));
    expect(errors).toEqual([]);
    const progress = chunks.filter((c) => c.type === "data-progress");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(mock.mock.calls.filter((c) => c.kind === "progress_summary").length).toBeGreaterThanOrEqual(progress.length);
    expect(new Set(progress.map((c) => (c as { id?: string }).id)).size).toBe(1);
    const at = (c: UIMessageChunk) => chunks.indexOf(c);
    for (const p of progress) {
      expect(at(p)).toBeGreaterThan(firstAt(chunks, "data-prompt-summary"));
      expect(at(p)).toBeLessThan(firstAt(chunks, "data-reasoning-summary"));
    }
    expect(message?.parts.filter((p) => p.type === "data-progress")).toHaveLength(1);
    // The part holds the latest progress summary; every one is in the reasoning text.
    expect(message?.parts.find((p) => p.type === "data-progress")).toMatchObject({ data: (progress.at(-1) as { data: unknown }).data });
    const reasoning = message?.parts.find((p) => p.type === "reasoning");
    for (const p of progress) expect(reasoning?.type === "reasoning" && reasoning.text).toContain((p as { data: { text: string } }).data.text);
  });

  it("the model: the body's, else AI_SDK_DEFAULT_MODEL, else 400 naming the field and no upstream call; regenerate is accepted", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER }, { AI_SDK_DEFAULT_MODEL: "mock-think" });
    const read = await readUi(
      await transport(gateway.url, {}).sendMessages({
        chatId: "c",
        messages: [userUi("Hi")],
        trigger: "regenerate-message",
        messageId: "a1",
        abortSignal: undefined,
      }),
    );
    expect(uiText(read.message)).toBe(ANSWER);
    expect(mock.mock.calls.find((c) => c.kind === "chat")?.model).toBe("mock-think");

    const bare = await stack();
    const refused = await post(bare.gateway.url, { id: "c", messages: [userUi("Hi")], trigger: "submit-message" });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: "invalid_request", message: expect.stringMatching(/^model: is required/) } });
    await expect(sendUi(transport(bare.gateway.url, {}), [userUi("Hi")])).rejects.toThrow(/AI_SDK_DEFAULT_MODEL/);
    const bad = await post(bare.gateway.url, { messages: [{ role: "user", content: "hi" }], model: "mock-think" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { message: "messages[0].parts: is required: an array of UI message parts (AI SDK 5 or later)" } });
    expect(bare.mock.mock.calls).toHaveLength(0);
  });

  it("bad input of every kind is a 400 that names the field, and nothing reaches the upstream", async () => {
    const { gateway, mock } = await stack();
    const user = { id: "u1", role: "user", parts: [{ type: "text", text: "hi" }] };
    const ok = { id: "c", messages: [user], trigger: "submit-message", model: "mock-think" };
    const cases: [unknown, RegExp][] = [
      [[1, 2], /object/],
      [{ ...ok, messages: "hi" }, /^messages: /],
      [{ ...ok, messages: [null] }, /^messages\[0\]/],
      [{ ...ok, messages: [{ role: "user", parts: "x" }] }, /^messages\[0\]\.parts: /],
      [{ ...ok, messages: [{ role: "user", parts: [null] }] }, /^messages\[0\]\.parts\[0\]/],
      [{ ...ok, messages: [{ role: "user", parts: [{ type: 5 }] }] }, /^messages\[0\]\.parts\[0\]\.type: must be a string/],
      [{ ...ok, messages: [{ role: "user", parts: [{ type: "file", mediaType: "image/png" }] }] }, /^messages\[0\]\.parts\[0\]\.url: must be a string/],
      [
        { ...ok, messages: [user, { role: "assistant", parts: [{ type: "tool-x", state: "input-available" }] }] },
        /^messages\[1\]\.parts\[0\]\.toolCallId: must be a string/,
      ],
      [{ ...ok, model: 5 }, /^model: must be a string/],
      [{ ...ok, model: "x".repeat(300) }, /^model: /],
      [{ ...ok, temperature: "hot" }, /^temperature: /],
      [{ ...ok, tools: [{ type: "web_search" }] }, /^tools\[0\]\.type: only "function" tools/],
      [{ ...ok, research: "yes" }, /^research: /],
      [{ ...ok, trigger: "resume-stream" }, /^trigger: /],
      [{ ...ok, id: 5 }, /^id: must be a string/],
    ];
    for (const [body, message] of cases) {
      const res = await post(gateway.url, body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
    const notJson = await fetch(api(gateway.url), { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
    expect(notJson.status).toBe(415);
    expect(mock.mock.calls).toHaveLength(0);
  });

  it("include_reasoning streams the model's own reasoning as a second reasoning part; ALLOW_RAW_REASONING=false refuses it with 403", async () => {
    const { gateway, mock } = await stack({ answerText: ANSWER, reasoningText: REASONING, chunkChars: 3 });
    const { chunks, message, errors } = await readUi(
      await sendUi(transport(gateway.url, { model: "mistralai/Magistral-Small-2509", include_reasoning: true }), [userUi("2+2?")]),
    );
    expect(errors).toEqual([]);
    const own = message?.parts.find((p) => p.type === "reasoning" && (p.providerMetadata?.gateway as { kind?: string } | undefined)?.kind === "model");
    expect(own?.type === "reasoning" && own.text).toBe(REASONING);
    expect(firstAt(chunks, "data-prompt-summary")).toBeLessThan(chunks.findIndex((c) => c.type === "reasoning-delta" && c.id.startsWith("model-reasoning-")));
    expect(uiText(message)).toBe(ANSWER);
    expect(mock.mock.calls.find((c) => c.kind === "chat")?.body).not.toHaveProperty("include_reasoning");

    const closed = await stack({}, { ALLOW_RAW_REASONING: "false" });
    const refused = await post(closed.gateway.url, { id: "c", messages: [userUi("hi")], model: "mock-think", include_reasoning: true });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "raw_reasoning_forbidden" } });
    expect(closed.mock.mock.calls).toHaveLength(0);
  });

  it("keys and limits as on the other surfaces: 401 without a key, 429 past KEY_MAX_CONCURRENT, each recorded; ALLOW_MODELS applies to the default model", async () => {
    const { gateway, mock } = await stack(
      { latency: { reasoningChunkMs: 40 } },
      { GATEWAY_API_KEYS: "k-one", KEY_MAX_CONCURRENT: "1", ALLOW_MODELS: "mock-think", AI_SDK_DEFAULT_MODEL: "mock-other" },
    );
    const key = { authorization: "Bearer k-one" };
    const ask = { id: "c", messages: [userUi("Hi")], trigger: "submit-message", model: "mock-think" };
    expect((await post(gateway.url, ask)).status).toBe(401);
    const first = post(gateway.url, ask, key);
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat"));
    const second = await post(gateway.url, ask, key);
    expect(second.status).toBe(429);
    expect(await second.json()).toMatchObject({ error: { code: "too_many_concurrent" } });
    expect((await (await first).text()).endsWith("data: [DONE]\n\n")).toBe(true);
    const notAllowed = await post(gateway.url, { ...ask, model: undefined }, key);
    expect(notAllowed.status).toBe(403);
    const metrics = await (await fetch(`${gateway.url}/metrics`, { headers: key })).text();
    expect(metrics).toMatch(/gateway_requests_total\{[^}]*outcome="rejected",status="401"\} 1/);
    expect(metrics).toMatch(/gateway_requests_total\{[^}]*outcome="rejected",status="429"\} 1/);
    expect(metrics).toMatch(/gateway_requests_total\{[^}]*outcome="rejected",status="403"\} 1/);
  });

  it("tool calls stream as tool input and are available at the end; the tool's output goes back as a tool message", async () => {
    const { gateway, mock } = await stack({ script: weatherScript });
    const t = transport(gateway.url, { model: "mock-script", tools: [weatherTool] });
    const first = await readUi(await sendUi(t, [userUi("Weather in Paris?")]));
    expect(first.errors).toEqual([]);
    const toolTypes = typesOf(first.chunks).filter((x) => x.startsWith("tool-"));
    expect(toolTypes).toEqual(["tool-input-start", "tool-input-delta", "tool-input-delta", "tool-input-available"]);
    expect(first.chunks.at(-1)).toMatchObject({ type: "finish", finishReason: "tool-calls" });
    const call = first.message?.parts.find((p) => p.type === "tool-get_weather");
    expect(call).toMatchObject({ toolCallId: "call_w1", state: "input-available", input: { city: "Paris" } });
    expect(mock.mock.calls.find((c) => c.kind === "chat")?.body.tools).toEqual([weatherTool]);

    // The app runs the tool (useChat's addToolOutput) and sends the conversation back.
    mock.mock.configure({ script: [{ delta: { content: "It is 21 °C in Paris." }, finish_reason: "stop" }] });
    const assistant = first.message as UIMessage;
    const answered: UIMessage = {
      ...assistant,
      parts: assistant.parts.map((p) => (p.type === "tool-get_weather" ? { ...p, state: "output-available", output: { temp_c: 21 } } : p)),
    } as UIMessage;
    const second = await readUi(await sendUi(t, [userUi("Weather in Paris?"), answered]));
    expect(uiText(second.message)).toBe("It is 21 °C in Paris.");
    // The stream continues the same assistant message.
    expect(second.chunks[0]).toMatchObject({ type: "start", messageId: assistant.id });
    const sent = mock.mock.calls.filter((c) => c.kind === "chat").at(-1)?.body.messages as Record<string, unknown>[];
    expect(sent.filter((m) => m.role !== "system")).toEqual([
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_w1", content: '{"temp_c":21}' },
    ]);
  });

  it("research mode: sources as source-url parts after the prompt summary and before the reasoning summary", async () => {
    const trap = await startFakeSearxng();
    servers.push(trap);
    const results = [
      searxngResult("Rayleigh scattering", `${trap.url}/rayleigh`, "Short wavelengths scatter more."),
      searxngResult("Sunsets", `${trap.url}/sunset`, "Red at dusk."),
    ];
    const searx = await startFakeSearxng({ kind: "results", results });
    servers.push(searx);
    const answer = "Air scatters blue light more [1]; sunsets are red [2].";
    const { gateway, mock } = await stack({ answerText: answer, reasoningText: REASONING, chunkChars: 5 }, { SEARCH_URL: searx.url });
    const { chunks, message, errors } = await readUi(
      await sendUi(transport(gateway.url, { model: "mock-think", research: true }), [userUi("Why is the sky blue?")]),
    );
    expect(errors).toEqual([]);
    const sources = chunks.filter((c) => c.type === "source-url");
    expect(sources).toEqual([
      expect.objectContaining({ sourceId: "1", url: `${trap.url}/rayleigh`, title: "Rayleigh scattering" }),
      expect.objectContaining({ sourceId: "2", url: `${trap.url}/sunset`, title: "Sunsets" }),
    ]);
    expect(firstAt(chunks, "source-url")).toBeGreaterThan(firstAt(chunks, "data-prompt-summary"));
    expect(firstAt(chunks, "source-url")).toBeLessThan(firstAt(chunks, "data-reasoning-summary"));
    expect(uiText(message)).toBe(answer);
    expect(trap.requests).toEqual([]);
    for (const c of mock.mock.calls) expect(c.body).not.toHaveProperty("research");
  });

  it("an upstream 4xx is the HTTP status before the stream begins; a failure after it began is an error chunk", async () => {
    const rejected = await stack({ faults: { fail: { status: 400, times: Infinity, message: "unsupported parameter: top_k" } } });
    const res = await post(rejected.gateway.url, { id: "c", messages: [userUi("hi")], model: "mock-think" });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringContaining("unsupported parameter: top_k") } });
    await expect(sendUi(transport(rejected.gateway.url, { model: "mock-think" }), [userUi("hi")])).rejects.toThrow(/unsupported parameter: top_k/);

    const { gateway } = await stack({
      reasoningText: "Short.",
      answerText: ANSWER.repeat(5),
      chunkChars: 6,
      latency: { answerChunkMs: 20 },
      faults: { dropAfterChunks: 15 },
    });
    const { chunks, message, errors } = await readUi(await sendUi(transport(gateway.url), [userUi("hi")]));
    expect(firstAt(chunks, "text-delta")).toBeGreaterThan(0);
    expect(chunks.at(-1)?.type).toBe("error");
    expect(typesOf(chunks)).not.toContain("finish");
    expect(errors).toHaveLength(1);
    expect(ANSWER.repeat(5).startsWith(uiText(message))).toBe(true);
  });

  it("stop (the fetch aborted) reaches the upstream: the mock sees its call aborted", async () => {
    const { gateway, mock } = await stack({
      answerText: ANSWER,
      reasoningText: REASONING.repeat(4),
      chunkChars: 8,
      latency: { reasoningChunkMs: 100, answerChunkMs: 100 },
    });
    const stop = new AbortController();
    const stream = await sendUi(transport(gateway.url), [userUi("hi")], { signal: stop.signal });
    const seen = await readUntil(stream, (c) => c.type === "data-prompt-summary", stop);
    expect(seen.at(-1)?.type).toBe("data-prompt-summary");
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
  });
});

describe("useChat's resume: GET /ai-sdk/v1/chat/{chatId}/stream", () => {
  const paced = { answerText: ANSWER.repeat(3), reasoningText: REASONING, chunkChars: 12, latency: { reasoningChunkMs: 15, answerChunkMs: 15 } };

  it("with RESUME_GRACE_SECONDS > 0 a dropped stream is replayed from its start by the transport's reconnect, the answer whole", async () => {
    const { gateway } = await stack(paced, { RESUME_GRACE_SECONDS: "10" });
    const t = transport(gateway.url);
    const drop = new AbortController();
    const seen = await readUntil(await sendUi(t, [userUi("hi")], { chatId: "chat-r", signal: drop.signal }), (c) => c.type === "data-prompt-summary", drop);
    const messageId = (seen[0] as { messageId?: string }).messageId;
    const again = await t.reconnectToStream({ chatId: "chat-r" });
    expect(again).not.toBeNull();
    const { chunks, message, errors } = await readUi(again as ReadableStream<UIMessageChunk>);
    expect(errors).toEqual([]);
    expect(chunks[0]).toMatchObject({ type: "start", messageId });
    expect(chunks.filter((c) => c.type === "data-prompt-summary")).toHaveLength(1);
    expect(uiText(message)).toBe(ANSWER.repeat(3));
    expect(chunks.at(-1)?.type).toBe("finish");
    // Nothing to resume for a chat that never streamed: 204, which the transport reads as null.
    expect(await t.reconnectToStream({ chatId: "no-such-chat" })).toBeNull();
  });

  it("only the key that started a chat finds it; …/cancel ends it at once", async () => {
    const { gateway, mock } = await stack(
      { ...paced, latency: { reasoningChunkMs: 200, answerChunkMs: 200 } },
      { RESUME_GRACE_SECONDS: "30", GATEWAY_API_KEYS: "key-alpha,key-bravo" },
    );
    const alpha = { authorization: "Bearer key-alpha" };
    const bravo = { authorization: "Bearer key-bravo" };
    const reading = post(gateway.url, { id: "chat-k", messages: [userUi("hi")], model: "mock-reasoning_content" }, alpha).then((r) => r.text());
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat"));
    expect(await uiTransport(api(gateway.url), { headers: bravo }).reconnectToStream({ chatId: "chat-k" })).toBeNull();
    expect((await fetch(`${api(gateway.url)}/chat-k/cancel`, { method: "POST", headers: bravo })).status).toBe(404);
    expect((await fetch(`${api(gateway.url)}/chat-k/stream`)).status).toBe(401);
    const cancelled = await fetch(`${api(gateway.url)}/chat-k/cancel`, { method: "POST", headers: alpha });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ chat_id: "chat-k", cancelled: true });
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
    expect(await reading).not.toContain('"type":"finish"');
  });

  it("is off by default: the reconnect gets 204 and a stop cancels at once", async () => {
    const { gateway, mock } = await stack({ ...paced, latency: { reasoningChunkMs: 200, answerChunkMs: 200 } });
    const t = transport(gateway.url);
    const drop = new AbortController();
    await readUntil(await sendUi(t, [userUi("hi")], { chatId: "chat-off", signal: drop.signal }), (c) => c.type === "data-prompt-summary", drop);
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"), 3_000);
    expect(await t.reconnectToStream({ chatId: "chat-off" })).toBeNull();
  });
});
