import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_ANSWER_TEXT,
  DEFAULT_REASONING_TEXT,
  MOCK_TOOL_ARGS,
  startMockUpstream,
  summarizePrompt,
  summarizeReasoning,
  type MockCall,
  type RunningMock,
} from "../../mock-upstream/index.js";
import { TAG_INSTRUCTION } from "../../src/pipeline/index.js";
import { noopObserver, type RequestRecord } from "../../src/events/index.js";
import { createUpstreamClient, type ProviderKind, type UpstreamTarget } from "../../src/upstream/index.js";
import { completionFromDeltas } from "../../src/upstream/adapters/index.js";
import type { UpstreamDelta } from "../../src/upstream/chunks.js";
import { chatCalls, useProviderStack } from "../helpers/providers.js";
import { answerOf, first, postStaged, stagedOrder, userMessage } from "../helpers/sse.js";

type NativeKind = Exclude<ProviderKind, "openai">;
const KINDS: NativeKind[] = ["anthropic", "gemini", "ollama"];
const ENV = { ANTHROPIC_KEY: "sk-ant-test", GEMINI_KEY: "gm-test" };
const MODEL_ID: Record<NativeKind, string> = { anthropic: "claude-mock", gemini: "gemini-mock", ollama: "qwen-mock:latest" };
const COST = { input_per_mtok: 3, output_per_mtok: 15 };

/** One native provider block for the providers file; `id` is also the mock's key. */
function providerYaml(kind: NativeKind, id: string, extra = ""): string {
  const settings = {
    anthropic: "    api_key_env: ANTHROPIC_KEY\n    thinking_budget: 1024\n",
    gemini: "    api_key_env: GEMINI_KEY\n",
    ollama: "",
  }[kind];
  return `  - id: ${id}
    kind: ${kind}
    base_url: "{{root:${id}}}"
${settings}    cost: { input_per_mtok: ${COST.input_per_mtok}, output_per_mtok: ${COST.output_per_mtok} }
    models: { reasoning-llm: "${MODEL_ID[kind]}", "*": "*" }
${extra}`;
}

const stack = useProviderStack();
const prompt = "Why is the sky blue? Answer in two sentences. Thank you.";

describe.each(KINDS)("%s provider through the gateway", (kind) => {
  it("stages the stream: native reasoning is summarised, the answer arrives byte for byte, usage and cost are logged", async () => {
    const records: RequestRecord[] = [];
    const { gateway, mocks } = await stack({ p: {} }, `providers:\n${providerYaml(kind, "p")}routes:\n  - model: "*"\n    providers: [p]\n`, ENV, {
      observer: { ...noopObserver, finished: (r) => records.push(r) },
    });
    const r = await postStaged(gateway.url, { model: "reasoning-llm", messages: userMessage(prompt) });
    expect(r.status).toBe(200);
    expect(stagedOrder(r)).toEqual(["summary.prompt", "summary.reasoning", "output.delta", "output.done"]);
    expect(first(r, "summary.reasoning").data).toMatchObject({ source: "model", text: summarizeReasoning(DEFAULT_REASONING_TEXT) });
    expect(first(r, "summary.prompt").data.source).toBe("model");
    expect(answerOf(r)).toBe(DEFAULT_ANSWER_TEXT);
    const done = first(r, "output.done").data as { finish_reason: string; usage: Record<string, number>; route: { provider: string } };
    expect(done.finish_reason).toBe("stop");
    expect(done.route.provider).toBe("p");
    expect(done.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
    expect(done.usage.total_tokens).toBe(done.usage.prompt_tokens! + done.usage.completion_tokens!);

    // Every call went to the native API, the summaries (non-streamed) included.
    const mock = mocks.p!.mock;
    expect(mock.calls.map((c) => [c.kind, c.api])).toEqual(
      expect.arrayContaining([
        ["chat", kind],
        ["prompt_summary", kind],
        ["reasoning_summary", kind],
      ]),
    );
    // Native reasoning needs no tag instruction; asking for tags too would put them in the answer.
    expect(JSON.stringify(chatCalls(mocks.p!)[0]!.body)).not.toContain(TAG_INSTRUCTION);

    await expect.poll(() => records.length).toBe(1);
    const rec = records[0]!;
    expect(rec).toMatchObject({ provider: "p", outcome: "ok", usage: done.usage });
    expect(rec.costUsd).toBeCloseTo((done.usage.prompt_tokens! * COST.input_per_mtok + done.usage.completion_tokens! * COST.output_per_mtok) / 1e6, 12);
  });

  it("a turn that only calls a tool ends cleanly with finish_reason tool_calls (the tool-call event is the pipeline's to add)", async () => {
    const { gateway } = await stack({ p: {} }, `providers:\n${providerYaml(kind, "p")}routes:\n  - model: "*"\n    providers: [p]\n`, ENV);
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }];
    const r = await postStaged(gateway.url, { model: `${MODEL_ID[kind].replace(":latest", "")}-tools`, messages: userMessage(prompt), tools });
    expect(r.status).toBe(200);
    expect(first(r, "summary.reasoning").data.source).toBe("model");
    expect(first(r, "output.done").data).toMatchObject({ finish_reason: "tool_calls" });
    expect(answerOf(r)).toBe("");
  });

  it("ends with an `error` event when the native stream reports an error after the answer began", async () => {
    const reasoningText = "Short reasoning here. It ends soon.";
    const answerText = "One two three four five six seven eight nine ten eleven twelve.";
    const chunkChars = 6;
    const reasoningFrames = Math.ceil(reasoningText.length / chunkChars);
    // Anthropic sends message_start, ping and a block start before the thinking, and closes it
    // (signature, stop) and opens the text block before the answer.
    const before = kind === "anthropic" ? reasoningFrames + 6 : reasoningFrames;
    const { gateway } = await stack(
      { p: { reasoningText, answerText, chunkChars, latency: { answerChunkMs: 40 }, faults: { errorAfterChunks: before + 6 } } },
      `providers:\n${providerYaml(kind, "p")}routes:\n  - model: "*"\n    providers: [p]\n`,
      ENV,
    );
    const r = await postStaged(gateway.url, { model: "reasoning-llm", messages: userMessage(prompt) });
    expect(r.status).toBe(200);
    const names = r.events.map((e) => e.event);
    expect(names).toContain("output.delta");
    expect(names).not.toContain("output.done");
    expect(names.at(-1)).toBe("error");
    const code = { anthropic: "overloaded_error", gemini: "internal", ollama: "upstream_stream_error" }[kind];
    expect(r.events.at(-1)!.data).toMatchObject({ stage: "upstream", code });
    expect(answerText.startsWith(answerOf(r))).toBe(true);
  });

  it("passes a request the native API refuses through as its 4xx, without failing over", async () => {
    // Ollama refuses a model it does not have; the others refuse the request itself (400).
    const refusal =
      kind === "ollama"
        ? { model: "missing-model", status: 404, faults: {} }
        : { model: MODEL_ID[kind], status: 400, faults: { fail: { status: 400, times: Infinity } } };
    const yaml = `providers:\n${providerYaml(kind, "p")}  - id: q\n    base_url: "{{url:q}}"\nroutes:\n  - model: "*"\n    providers: [p, q]\n`;
    const { gateway, mocks } = await stack({ p: { faults: refusal.faults }, q: {} }, yaml, ENV);
    const r = await postStaged(gateway.url, { model: refusal.model, messages: userMessage(prompt) });
    expect(r.status).toBe(refusal.status);
    expect(chatCalls(mocks.q!)).toHaveLength(0);
  });

  it("schema validation works on its answer text: prose is retried once with the schema restated, JSON passes at once", async () => {
    const { gateway, mocks } = await stack({ p: {} }, `providers:\n${providerYaml(kind, "p")}routes:\n  - model: "*"\n    providers: [p]\n`, ENV);
    const body = {
      model: "reasoning-llm",
      messages: userMessage(prompt),
      response_format: { type: "json_schema", json_schema: { name: "a", schema: { type: "object", required: ["ok"] } } },
    };
    const prose = await postStaged(gateway.url, body);
    // One provider: a plain attempt, a constrained retry, then the last answer stands.
    expect(answerOf(prose)).toBe(DEFAULT_ANSWER_TEXT);
    expect(first(prose, "output.done").data.validation).toMatchObject({ valid: false, attempts: 2, escalated: false });
    const calls = chatCalls(mocks.p!);
    expect(calls).toHaveLength(2);
    expect(JSON.stringify(calls[0]!.body)).not.toContain("Return only JSON");
    expect(JSON.stringify(calls[1]!.body)).toContain("Return only JSON that matches it: no prose, no code fences");

    mocks.p!.mock.configure({ answerText: '{"ok": true}' });
    const json = await postStaged(gateway.url, body);
    expect(answerOf(json)).toBe('{"ok": true}');
    expect(first(json, "output.done").data.validation).toEqual({ valid: true, attempts: 1, escalated: false });
  });
});

describe("anthropic without a thinking budget", () => {
  it("asks for reasoning tags instead, as for any plain model, and the answer is still exact", async () => {
    const { gateway, mocks } = await stack(
      { p: {} },
      `providers:\n${providerYaml("anthropic", "p").replace("    thinking_budget: 1024\n", "")}routes:\n  - model: "*"\n    providers: [p]\n`,
      ENV,
    );
    const r = await postStaged(gateway.url, { model: "reasoning-llm", messages: userMessage(prompt) });
    expect(answerOf(r)).toBe(DEFAULT_ANSWER_TEXT);
    const sent = chatCalls(mocks.p!)[0]!.body;
    expect(sent).not.toHaveProperty("thinking");
    expect(sent.system).toBe(TAG_INSTRUCTION);
  });
});

describe("anthropic overload", () => {
  const yaml = (second: string) =>
    `providers:\n${providerYaml("anthropic", "claude", "    priority: 1\n")}${second}routes:\n  - model: "*"\n    strategy: priority\n    providers: [claude, backup]\n`;

  it("a 529 overloaded_error fails over to the next provider unseen, and counts against the Anthropic provider", async () => {
    const { gateway, mocks } = await stack(
      { claude: { faults: { fail: { status: 529, times: Infinity, target: "stream", message: "Overloaded" } } }, backup: { scenario: "reasoning_content" } },
      yaml(`  - id: backup\n    base_url: "{{url:backup}}"\n    priority: 2\n`),
      ENV,
    );
    const r = await postStaged(gateway.url, { model: "reasoning-llm", messages: userMessage(prompt) });
    expect(r.status).toBe(200);
    expect(answerOf(r)).toBe(DEFAULT_ANSWER_TEXT);
    expect(first(r, "output.done").data.route).toMatchObject({ provider: "backup", attempts: 2 });
    expect(r.events.some((e) => e.event === "error")).toBe(false);
    // Not the last candidate: no retry on the overloaded provider, straight to the next.
    expect(chatCalls(mocks.claude!).map((c) => c.status)).toEqual([529]);
    const providers = (await (await fetch(`${gateway.url}/v1/providers`)).json()) as {
      providers: { id: string; kind: string; failures: number; successes: number }[];
    };
    expect(providers.providers.find((p) => p.id === "claude")).toMatchObject({ kind: "anthropic", failures: 1 });
    expect(providers.providers.find((p) => p.id === "backup")).toMatchObject({ kind: "openai", successes: 1 });
  });

  it("a 529 on the last provider left is retried, then streams", async () => {
    const { gateway, mocks } = await stack(
      { claude: { faults: { fail: { status: 529, times: 1, target: "stream" } } } },
      `providers:\n${providerYaml("anthropic", "claude")}routes:\n  - model: "*"\n    providers: [claude]\n`,
      ENV,
    );
    const r = await postStaged(gateway.url, { model: "reasoning-llm", messages: userMessage(prompt) });
    expect(answerOf(r)).toBe(DEFAULT_ANSWER_TEXT);
    expect(chatCalls(mocks.claude!).map((c) => c.status)).toEqual([529, 200]);
  });
});

/** The client against the mock over a real socket: what the pipeline will see, tool calls included. */
describe.each(KINDS)("%s adapter against the mock", (kind) => {
  const mocks: RunningMock[] = [];
  afterEach(async () => {
    for (const m of mocks.splice(0)) await m.close();
  });
  const client = createUpstreamClient({ fetch: globalThis.fetch, now: () => Date.now(), requestTimeoutMs: 5000, retry: { maxRetries: 0, backoffMs: 1 } });
  const targetFor = (m: RunningMock): UpstreamTarget => ({
    baseUrl: `http://127.0.0.1:${m.port}`,
    path: { anthropic: "/v1/messages", gemini: "/v1beta", ollama: "/api/chat" }[kind],
    apiKey: kind === "ollama" ? undefined : "key",
    kind,
    ...(kind === "anthropic" && { native: { thinkingBudget: 1024 } }),
  });
  const collect = async (it: AsyncIterable<UpstreamDelta>) => {
    const out: UpstreamDelta[] = [];
    for await (const d of it) out.push(d);
    return completionFromDeltas(out, { id: "x", model: "m", created: 0 });
  };
  const tools = [
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Weather now",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      },
    },
  ];

  it("streams a tool call in OpenAI's shape, and a follow-up turn with the tool's result is accepted", async () => {
    const mock = await startMockUpstream();
    mocks.push(mock);
    const first = await client.stream(
      targetFor(mock),
      {
        model: "m-tools",
        messages: [
          { role: "system", content: "Use tools." },
          { role: "user", content: "Weather in Paris?" },
        ],
        tools,
      },
      AbortSignal.timeout(5000),
    );
    const c = await collect(first.deltas);
    const call = c.choices[0]!.message.tool_calls?.[0];
    expect(call).toMatchObject({ type: "function", function: { name: "get_weather" } });
    expect(call!.id).not.toBe("");
    expect(JSON.parse(call!.function.arguments)).toEqual(MOCK_TOOL_ARGS);
    expect(c.choices[0]!.finish_reason).toBe("tool_calls");

    // The next turn carries the assistant's call and the tool result; the mock applies the real API's checks.
    const messages = [
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: null, tool_calls: [{ id: call!.id, type: "function", function: call!.function }] },
      { role: "tool", tool_call_id: call!.id, content: '{"temp":18}' },
    ];
    const second = await client.stream(targetFor(mock), { model: "m", messages, tools }, AbortSignal.timeout(5000));
    expect((await collect(second.deltas)).choices[0]!.message.content).toBe(DEFAULT_ANSWER_TEXT);
    const sent = mock.mock.calls.at(-1)!;
    expect(sent.api).toBe(kind);
    expect(JSON.stringify(sent.body)).toContain("temp");
  });

  it("sends the API's own auth and reasoning switch, lists models and answers the health probe", async () => {
    const mock = await startMockUpstream();
    mocks.push(mock);
    const s = await client.stream(targetFor(mock), { model: "m", messages: userMessage("hi") }, AbortSignal.timeout(5000));
    expect((await collect(s.deltas)).choices[0]!.message.reasoning_content).toBe(DEFAULT_REASONING_TEXT);
    const call = mock.mock.calls[0] as MockCall;
    if (kind === "anthropic") {
      expect(call.headers).toMatchObject({ "x-api-key": "key", "anthropic-version": "2023-06-01" });
      expect(call.body).toMatchObject({ thinking: { type: "enabled", budget_tokens: 1024 } });
    } else if (kind === "gemini") {
      expect(call.headers["x-goog-api-key"]).toBe("key");
      expect(call.path).toBe("/v1beta/models/m:streamGenerateContent");
      expect(call.body).toMatchObject({ generationConfig: { thinkingConfig: { includeThoughts: true } } });
    } else {
      expect(call.headers.authorization).toBeUndefined();
      expect(call.body).toMatchObject({ think: true, stream: true });
    }
    expect(await client.models(targetFor(mock), 2000)).toHaveLength(3);
    expect(await client.probe(targetFor(mock), 2000)).toMatchObject({ ok: true, status: 200 });
  });

  it("a summary (non-streamed) comes back as a chat.completion", async () => {
    const mock = await startMockUpstream();
    mocks.push(mock);
    const body = {
      model: "m",
      stream: false,
      max_tokens: 120,
      temperature: 0.2,
      messages: [
        { role: "system", content: "Summarize the request." },
        { role: "user", content: "Tell me about tides. Keep it short." },
      ],
    };
    const c = (await client.complete(targetFor(mock), body, AbortSignal.timeout(5000))) as {
      object: string;
      choices: { message: { content: string } }[];
      usage: object;
    };
    expect(c.object).toBe("chat.completion");
    expect(c.choices[0]!.message.content).toBe(summarizePrompt("Tell me about tides. Keep it short."));
    expect(mock.mock.calls[0]).toMatchObject({ kind: "prompt_summary", stream: false, api: kind });
  });
});

describe.each(["anthropic", "gemini"] as const)("%s refusing the gateway's key", (kind) => {
  it("a refused key (Anthropic 401, Gemini 403) is the gateway's problem: it fails over, and the provider leaves the rotation", async () => {
    // No api_key_env: the calls go without a key, which the mock refuses as the real API does.
    const yaml = `providers:\n${providerYaml(kind, "p").replace(/ {4}api_key_env: \w+\n/, "")}  - id: q\n    base_url: "{{url:q}}"\nroutes:\n  - model: "*"\n    providers: [p, q]\n`;
    const { gateway, mocks } = await stack({ p: {}, q: {} }, yaml, ENV);
    const r = await postStaged(gateway.url, { model: MODEL_ID[kind], messages: userMessage(prompt) });
    expect(r.status).toBe(200);
    expect(first(r, "output.done").data).toMatchObject({ route: { provider: "q" } });
    const providers = (await (await fetch(`${gateway.url}/v1/providers`)).json()) as { providers: { id: string; state: string }[] };
    expect(providers.providers.find((x) => x.id === "p")?.state).toBe("open");
    // The main call and the prompt summary may both have asked before the circuit opened; no more.
    const refused = mocks.p!.mock.calls.map((c) => c.status);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(2);
    expect(new Set(refused)).toEqual(new Set([kind === "anthropic" ? 401 : 403]));
  });
});
