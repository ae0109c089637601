import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_ANSWER_TEXT, startMockUpstream, type MockOptions, type DeepPartial, type RunningMock } from "../../mock-upstream/index.js";

const open: RunningMock[] = [];
afterEach(async () => {
  for (const m of open.splice(0)) await m.close();
});
async function mock(options: DeepPartial<MockOptions> = {}) {
  const m = await startMockUpstream(options);
  open.push(m);
  return { m, root: `http://127.0.0.1:${m.port}` };
}
const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
const ANTHROPIC = { "x-api-key": "k", "anthropic-version": "2023-06-01" };
const user = [{ role: "user", content: "Why is the sky blue?" }];

/** SSE text → [event name, parsed data] pairs. */
function events(text: string): [string | undefined, Record<string, unknown>][] {
  return text
    .split("\n\n")
    .filter((b) => b.trim() !== "")
    .map((block) => {
      const name = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? "null";
      return [name, JSON.parse(data) as Record<string, unknown>];
    });
}

describe("mock Anthropic Messages API", () => {
  it("streams the documented event sequence, thinking only when enabled", async () => {
    const { root } = await mock({ chunkChars: 1000 });
    const res = await post(
      `${root}/v1/messages`,
      { model: "claude-mock", max_tokens: 3000, stream: true, thinking: { type: "enabled", budget_tokens: 1024 }, messages: user },
      ANTHROPIC,
    );
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const evs = events(await res.text());
    expect(evs.map(([name]) => name)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    // Every data payload names its own type, the same as the SSE event.
    for (const [name, data] of evs) expect(data.type).toBe(name);
    expect(evs[2]![1]).toMatchObject({ index: 0, content_block: { type: "thinking" } });
    expect(evs[4]![1]).toMatchObject({ delta: { type: "signature_delta" } });
    expect(evs[7]![1]).toMatchObject({ index: 1, delta: { type: "text_delta", text: DEFAULT_ANSWER_TEXT } });
    expect(evs[9]![1]).toMatchObject({ delta: { stop_reason: "end_turn" }, usage: { output_tokens: expect.any(Number) } });

    const plain = events(await (await post(`${root}/v1/messages`, { model: "claude-mock", max_tokens: 300, stream: true, messages: user }, ANTHROPIC)).text());
    expect(plain.some(([, d]) => (d.content_block as { type?: string } | undefined)?.type === "thinking")).toBe(false);
  });

  it("refuses what the real API refuses, in its error shape", async () => {
    const { root } = await mock();
    const cases: [Record<string, unknown>, Record<string, string>, number, string][] = [
      [{ model: "c", max_tokens: 10, messages: user }, { "x-api-key": "k" }, 400, "anthropic-version: header is required"],
      [{ model: "c", max_tokens: 10, messages: user }, { "anthropic-version": "2023-06-01" }, 401, "x-api-key header is required"],
      [{ model: "c", messages: user }, ANTHROPIC, 400, "max_tokens: Field required"],
      [
        { model: "c", max_tokens: 10, messages: [{ role: "system", content: "x" }, ...user] },
        ANTHROPIC,
        400,
        "messages.0.role: Input should be 'user' or 'assistant'",
      ],
      [
        { model: "c", max_tokens: 1000, thinking: { type: "enabled", budget_tokens: 1024 }, messages: user },
        ANTHROPIC,
        400,
        "`max_tokens` must be greater than `thinking.budget_tokens`",
      ],
      [
        { model: "c", max_tokens: 3000, temperature: 0.5, thinking: { type: "enabled", budget_tokens: 1024 }, messages: user },
        ANTHROPIC,
        400,
        "`temperature` may only be set to 1 when thinking is enabled",
      ],
      [
        { model: "c", max_tokens: 10, messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "nope", content: "x" }] }] },
        ANTHROPIC,
        400,
        "unexpected `tool_use_id`",
      ],
    ];
    for (const [body, headers, status, message] of cases) {
      const res = await post(`${root}/v1/messages`, body, headers);
      expect(res.status).toBe(status);
      const json = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(json.type).toBe("error");
      expect(json.error.message).toContain(message);
    }
  });

  it("answers 529 overloaded_error and 429 rate_limit_error with retry-after, and an `error` event mid-stream", async () => {
    const { root, m } = await mock({ faults: { fail: { status: 529, times: 1 } } });
    const overloaded = await post(`${root}/v1/messages`, { model: "c", max_tokens: 10, stream: true, messages: user }, ANTHROPIC);
    expect(overloaded.status).toBe(529);
    expect(await overloaded.json()).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
    m.mock.configure({ faults: { fail: { status: 429, times: 1, retryAfterSeconds: 2 } } });
    const limited = await post(`${root}/v1/messages`, { model: "c", max_tokens: 10, stream: true, messages: user }, ANTHROPIC);
    expect([limited.status, limited.headers.get("retry-after")]).toEqual([429, "2"]);
    expect(await limited.json()).toMatchObject({ error: { type: "rate_limit_error" } });
    m.mock.configure({ faults: { errorAfterChunks: 3 } });
    const evs = events(await (await post(`${root}/v1/messages`, { model: "c", max_tokens: 10, stream: true, messages: user }, ANTHROPIC)).text());
    expect(evs.at(-1)).toEqual(["error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }]);
  });

  it("streams a tool_use block with its input as input_json_delta fragments", async () => {
    const { root } = await mock();
    const evs = events(
      await (
        await post(
          `${root}/v1/messages`,
          { model: "claude-mock-tools", max_tokens: 100, stream: true, messages: user, tools: [{ name: "get_weather", input_schema: { type: "object" } }] },
          ANTHROPIC,
        )
      ).text(),
    );
    const start = evs.find(([n, d]) => n === "content_block_start" && (d.content_block as { type: string }).type === "tool_use")!;
    expect(start[1]).toMatchObject({ content_block: { type: "tool_use", name: "get_weather", input: {} } });
    const json = evs
      .flatMap(([, d]) => ((d.delta as { type?: string } | undefined)?.type === "input_json_delta" ? [(d.delta as { partial_json: string }).partial_json] : []))
      .join("");
    expect(JSON.parse(json)).toEqual({ city: "Paris", unit: "celsius" });
    expect(evs.find(([n]) => n === "message_delta")![1]).toMatchObject({ delta: { stop_reason: "tool_use" } });
  });
});

describe("mock Gemini API", () => {
  const KEY = { "x-goog-api-key": "k" };
  const contents = [{ role: "user", parts: [{ text: "Why is the sky blue?" }] }];

  it("streams whole responses as SSE data, thought parts only with includeThoughts, finish and usage last", async () => {
    const { root } = await mock({ chunkChars: 400 });
    const res = await post(
      `${root}/v1beta/models/gemini-mock:streamGenerateContent?alt=sse`,
      { contents, generationConfig: { thinkingConfig: { includeThoughts: true } } },
      KEY,
    );
    const evs = events(await res.text());
    expect(evs.every(([name]) => name === undefined)).toBe(true);
    const parts = evs.map(([, d]) => (d.candidates as { content: { parts: Record<string, unknown>[] } }[])[0]!.content.parts[0]);
    expect(parts[0]).toMatchObject({ thought: true });
    expect(parts.at(-1)).toEqual({ text: DEFAULT_ANSWER_TEXT });
    expect(evs.at(-1)![1]).toMatchObject({
      candidates: [{ finishReason: "STOP" }],
      usageMetadata: { thoughtsTokenCount: expect.any(Number), candidatesTokenCount: expect.any(Number) },
    });
  });

  it("without alt=sse answers one JSON array, which is not an event stream", async () => {
    const { root } = await mock();
    const res = await post(`${root}/v1beta/models/gemini-mock:streamGenerateContent`, { contents }, KEY);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(Array.isArray(await res.json())).toBe(true);
  });

  it("refuses a missing key, a bad role, and errors in Google's shape with RetryInfo on 429", async () => {
    const { root, m } = await mock();
    const url = `${root}/v1beta/models/gemini-mock:generateContent`;
    const noKey = await post(url, { contents });
    expect(noKey.status).toBe(403);
    expect(await noKey.json()).toMatchObject({ error: { code: 403, status: "PERMISSION_DENIED" } });
    const badRole = await post(url, { contents: [{ role: "assistant", parts: [{ text: "x" }] }] }, KEY);
    expect(await badRole.json()).toMatchObject({ error: { code: 400, status: "INVALID_ARGUMENT", message: "Please use a valid role: user, model." } });
    m.mock.configure({ faults: { fail: { status: 429, times: 1, retryAfterSeconds: 5 } } });
    const limited = await post(url, { contents }, KEY);
    expect(await limited.json()).toMatchObject({
      error: { status: "RESOURCE_EXHAUSTED", details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "5s" }] },
    });
  });
});

describe("mock Ollama API", () => {
  it("streams NDJSON by default, thinking only with think, and a done line with the counts", async () => {
    const { root } = await mock({ chunkChars: 400 });
    const res = await post(`${root}/api/chat`, { model: "qwen-mock", think: true, messages: user });
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ message: { role: "assistant", thinking: expect.any(String) }, done: false });
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: "stop", prompt_eval_count: expect.any(Number), eval_count: expect.any(Number) });
  });

  it("answers {error} bodies: 404 for a model that is not pulled, 400 for thinking on a model without it, a line mid-stream", async () => {
    const { root, m } = await mock();
    const missing = await post(`${root}/api/chat`, { model: "missing-model", messages: user });
    expect([missing.status, await missing.json()]).toEqual([404, { error: 'model "missing-model" not found, try pulling it first' }]);
    const nothink = await post(`${root}/api/chat`, { model: "small-nothink", think: true, messages: user });
    expect([nothink.status, await nothink.json()]).toEqual([400, { error: '"small-nothink" does not support thinking' }]);
    m.mock.configure({ faults: { errorAfterChunks: 2 } });
    const lines = (await (await post(`${root}/api/chat`, { model: "qwen-mock", messages: user })).text()).trim().split("\n");
    expect(JSON.parse(lines.at(-1)!)).toEqual({ error: "an error was encountered while running the model" });
  });

  it("lists models at /api/tags", async () => {
    const { root } = await mock();
    expect(await (await fetch(`${root}/api/tags`)).json()).toMatchObject({ models: [{ name: "qwen-mock:latest" }, expect.anything(), expect.anything()] });
  });
});

describe("mock hostile modes", () => {
  it("gzip sends a gzip-encoded stream labelled as an event stream", async () => {
    const { m } = await mock({ faults: { hostile: "gzip" } });
    // Raw bytes, not fetch (which would quietly decompress).
    const { request } = await import("undici");
    const res = await request(`${m.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, messages: user }),
    });
    expect(res.headers["content-encoding"]).toBe("gzip");
    expect(res.headers["content-type"]).toBe("text/event-stream");
    expect(gunzipSync(Buffer.from(await res.body.arrayBuffer())).toString()).toContain("data: [DONE]");
  });

  it("can be switched on over HTTP, and typos are refused", async () => {
    const { root, m } = await mock();
    expect((await post(`${root}/_mock/config`, { faults: { hostile: "html" } })).status).toBe(200);
    expect(m.mock.options.faults.hostile).toBe("html");
    expect((await post(`${root}/_mock/config`, { faults: { hostile: "xml" } })).status).toBe(400);
  });

  it("the OpenAI-compatible API is unchanged without them", async () => {
    const { m } = await mock({ scenario: "plain" });
    const text = await (await post(`${m.baseUrl}/chat/completions`, { model: "m", stream: true, messages: user })).text();
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  });
});
