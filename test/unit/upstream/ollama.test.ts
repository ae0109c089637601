import { describe, expect, it } from "vitest";
import { failureOf } from "../../../src/pipeline/index.js";
import { ollamaAdapter } from "../../../src/upstream/adapters/ollama/index.js";
import { bytesOf, counterIds, decodeChunks, everySplit, folded } from "../../helpers/native.js";

const target = { baseUrl: "http://127.0.0.1:11434", path: "/api/chat", apiKey: undefined, kind: "ollama" as const };
const build = (body: Record<string, unknown>, native?: Record<string, unknown>, mode: "stream" | "complete" = "stream") =>
  ollamaAdapter.build({ ...target, native }, { model: "qwen3:8b", ...body }, mode, counterIds());

describe("ollama request translation", () => {
  it("posts to /api/chat without auth, options under `options`, think on streams", () => {
    const r = build({ messages: [{ role: "user", content: "hi" }], temperature: 0.1, top_p: 0.7, max_tokens: 64, stop: "END", seed: 7 });
    expect(r.url).toBe("http://127.0.0.1:11434/api/chat");
    expect(r.headers).not.toHaveProperty("authorization");
    expect(r.body).toEqual({
      model: "qwen3:8b",
      stream: true,
      think: true,
      messages: [{ role: "user", content: "hi" }],
      options: { temperature: 0.1, top_p: 0.7, num_predict: 64, stop: ["END"], seed: 7 },
    });
    expect(build({ messages: [] }, { think: "high" }).body).toMatchObject({ think: "high" });
    expect(build({ messages: [] }, undefined, "complete").body).not.toHaveProperty("think");
    // reasoning_effort: none turns thinking off; gpt-oss takes a level, other models true.
    expect(build({ messages: [], reasoning_effort: "none" }, { think: true }).body).toMatchObject({ think: false });
    expect(build({ messages: [], reasoning_effort: "high" }, { think: false }).body).toMatchObject({ think: true });
    expect(build({ model: "gpt-oss:20b", messages: [], reasoning_effort: "none" }).body).toMatchObject({ think: "low" });
    expect(build({ model: "gpt-oss:20b", messages: [], reasoning_effort: "high" }).body).toMatchObject({ think: "high" });
  });

  it("sends tool-call arguments as objects and names each tool result's function", () => {
    const messages = [
      { role: "assistant", content: "", tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "c1", content: "18C" },
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image_url", image_url: { url: "data:image/png;base64,QUJD" } },
        ],
      },
    ];
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }];
    expect(build({ messages, tools, response_format: { type: "json_object" } }).body).toMatchObject({
      messages: [
        { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Paris" } } }] },
        { role: "tool", content: "18C", tool_name: "get_weather" },
        { role: "user", content: "look", images: ["QUJD"] },
      ],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
      format: "json",
    });
  });
});

const line = (message: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "qwen3:8b", created_at: "2025-01-01T00:00:00Z", message: { role: "assistant", content: "", ...message }, done: false, ...extra }) +
  "\n";
const STREAM =
  line({ thinking: "Compare 18°C " }) +
  line({ thinking: "and 24°C 🙂" }) +
  line({ content: "Rome is " }) +
  line({ content: "warmer." }) +
  line({ tool_calls: [{ function: { name: "convert", arguments: { c: 6 } } }] }) +
  line({}, { done: true, done_reason: "stop", prompt_eval_count: 12, eval_count: 40, total_duration: 1 });

describe("ollama stream decoding", () => {
  it("reads thinking, content and object-argument tool calls, at any split", () => {
    for (const chunks of everySplit(STREAM)) {
      const c = folded(decodeChunks(ollamaAdapter, chunks));
      expect(c.choices[0]).toEqual({
        index: 0,
        message: {
          role: "assistant",
          content: "Rome is warmer.",
          reasoning_content: "Compare 18°C and 24°C 🙂",
          tool_calls: [{ id: "call_call1", type: "function", function: { name: "convert", arguments: '{"c":6}' } }],
        },
        finish_reason: "tool_calls",
      });
      expect(c.usage).toEqual({ prompt_tokens: 12, completion_tokens: 40, total_tokens: 52 });
    }
  });

  it("maps done_reason length", () => {
    const body = line({ content: "x" }) + line({}, { done: true, done_reason: "length", prompt_eval_count: 1, eval_count: 2 });
    expect(folded(decodeChunks(ollamaAdapter, [bytesOf(body)])).choices[0]!.finish_reason).toBe("length");
  });

  it("ends with the message of an error line, and calls a stream without done:true truncated", () => {
    expect(() => decodeChunks(ollamaAdapter, [bytesOf(line({ content: "a" }) + '{"error":"an error was encountered while running the model"}\n')])).toThrow(
      expect.objectContaining({ kind: "stream", message: "an error was encountered while running the model" }),
    );
    expect(() => decodeChunks(ollamaAdapter, [bytesOf(line({ content: "a" }))])).toThrow(expect.objectContaining({ code: "upstream_truncated" }));
  });
});

describe("ollama non-streamed answers and errors", () => {
  it("turns a chat response into a chat.completion", () => {
    const json = JSON.parse(line({ content: "Hi.", thinking: "t" }, { done: true, done_reason: "stop", prompt_eval_count: 2, eval_count: 3 }));
    expect(ollamaAdapter.completion(json, "x", counterIds(), 9)).toMatchObject({
      model: "qwen3:8b",
      choices: [{ message: { content: "Hi.", reasoning_content: "t" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
    });
  });

  it("maps {error} bodies by status", () => {
    const missing = ollamaAdapter.error(404, '{"error":"model \\"x\\" not found, try pulling it first"}', undefined);
    expect(missing).toMatchObject({ message: 'model "x" not found, try pulling it first', retryable: false });
    expect(failureOf(missing).status).toBe(404);
    expect(ollamaAdapter.error(500, '{"error":"boom"}', undefined)).toMatchObject({ message: "boom", retryable: true, failoverable: true });
  });

  it("lists models from /api/tags", () => {
    expect(ollamaAdapter.modelsRequest(target).url).toBe("http://127.0.0.1:11434/api/tags");
    expect(ollamaAdapter.modelIds({ models: [{ name: "qwen3:8b" }] })).toEqual(["qwen3:8b"]);
  });
});
