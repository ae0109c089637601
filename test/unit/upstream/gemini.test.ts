import { describe, expect, it } from "vitest";
import { failureOf } from "../../../src/pipeline/index.js";
import { geminiAdapter } from "../../../src/upstream/adapters/gemini/index.js";
import { bytesOf, counterIds, decodeChunks, everySplit, folded, sse } from "../../helpers/native.js";

const target = { baseUrl: "https://gemini.example", path: "/v1beta", apiKey: "AIza-key", kind: "gemini" as const };
const build = (body: Record<string, unknown>, native?: Record<string, unknown>, mode: "stream" | "complete" = "stream") =>
  geminiAdapter.build({ ...target, native }, { model: "gemini-2.5-flash", ...body }, mode, counterIds());

describe("gemini request translation", () => {
  it("calls streamGenerateContent?alt=sse (or generateContent) with x-goog-api-key", () => {
    const s = build({ messages: [{ role: "user", content: "hi" }] });
    expect(s.url).toBe("https://gemini.example/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    expect(s.headers).toMatchObject({ "x-goog-api-key": "AIza-key", accept: "text/event-stream" });
    expect(build({ model: "models/gemini-x", messages: [] }, undefined, "complete").url).toBe("https://gemini.example/v1beta/models/gemini-x:generateContent");
  });

  it("maps system, roles, tool calls (by name) and tool results, merging parallel results into one turn", () => {
    const messages = [
      { role: "system", content: "Be terse." },
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: "Checking.",
        tool_calls: [
          { id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          { id: "c2", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: '{"temp":18}' },
      { role: "tool", tool_call_id: "c2", content: "24C" },
    ];
    expect(build({ messages }).body).toMatchObject({
      systemInstruction: { parts: [{ text: "Be terse." }] },
      contents: [
        { role: "user", parts: [{ text: "Weather in Paris and Rome?" }] },
        {
          role: "model",
          parts: [
            { text: "Checking." },
            { functionCall: { name: "get_weather", args: { city: "Paris" } } },
            { functionCall: { name: "get_weather", args: { city: "Rome" } } },
          ],
        },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "get_weather", response: { temp: 18 } } },
            { functionResponse: { name: "get_weather", response: { content: "24C" } } },
          ],
        },
      ],
    });
  });

  it("maps tools (JSON Schema as is), tool_choice, sampling, stop and asks for thoughts on streams", () => {
    const tools = [{ type: "function", function: { name: "lookup", description: "Find", parameters: { type: "object", additionalProperties: false } } }];
    const body = build(
      {
        messages: [{ role: "user", content: "x" }],
        tools,
        tool_choice: { type: "function", function: { name: "lookup" } },
        temperature: 0.2,
        top_p: 0.8,
        max_tokens: 99,
        stop: ["A", "B"],
      },
      { thinkingBudget: 512 },
    ).body;
    expect(body).toMatchObject({
      tools: [{ functionDeclarations: [{ name: "lookup", description: "Find", parametersJsonSchema: { type: "object", additionalProperties: false } }] }],
      toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["lookup"] } },
      generationConfig: {
        temperature: 0.2,
        topP: 0.8,
        maxOutputTokens: 99,
        stopSequences: ["A", "B"],
        thinkingConfig: { includeThoughts: true, thinkingBudget: 512 },
      },
    });
    expect(build({ messages: [{ role: "user", content: "x" }] }, { thinkingBudget: 0 }).body).toMatchObject({
      generationConfig: { thinkingConfig: { thinkingBudget: 0 } },
    });
    // reasoning_effort wins over the provider's budget; none is 0 (off where the model allows it).
    expect(build({ messages: [{ role: "user", content: "x" }], reasoning_effort: "low" }, { thinkingBudget: 512 }).body).toMatchObject({
      generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 } },
    });
    expect(build({ messages: [{ role: "user", content: "x" }], reasoning_effort: "none" }).body).toMatchObject({
      generationConfig: { thinkingConfig: { thinkingBudget: 0 } },
    });
    expect(
      (build({ messages: [{ role: "user", content: "x" }] }, undefined, "complete").body as { generationConfig: object }).generationConfig,
    ).not.toHaveProperty("thinkingConfig");
  });
});

const chunk = (parts: unknown[], extra: Record<string, unknown> = {}) => ({
  candidates: [{ content: { role: "model", parts }, index: 0, ...extra }],
  usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 },
});
const STREAM = sse([
  [undefined, chunk([{ text: "Compare 18°C ", thought: true }])],
  [undefined, chunk([{ text: "and 24°C 🙂", thought: true }, { text: "Rome " }])],
  [undefined, chunk([{ text: "is warmer." }, { functionCall: { name: "convert", args: { c: 6 } } }])],
  [
    undefined,
    {
      ...chunk([{ text: "" }], { finishReason: "STOP" }),
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 7, thoughtsTokenCount: 30, totalTokenCount: 47, cachedContentTokenCount: 4 },
    },
  ],
]);

describe("gemini stream decoding", () => {
  it("reads thought parts as reasoning, text as the answer, functionCall as a complete tool call with a made-up id, at any split", () => {
    for (const chunks of everySplit(STREAM)) {
      const c = folded(decodeChunks(geminiAdapter, chunks));
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
      // completion counts the thoughts, as OpenAI's completion_tokens counts reasoning.
      expect(c.usage).toEqual({
        prompt_tokens: 10,
        completion_tokens: 37,
        total_tokens: 47,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 30 },
      });
    }
  });

  it("maps finish reasons", () => {
    const finish = (reason: string) =>
      folded(decodeChunks(geminiAdapter, [bytesOf(sse([[undefined, chunk([{ text: "x" }], { finishReason: reason })]]))])).choices[0]!.finish_reason;
    expect(["STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "OTHER"].map(finish)).toEqual(["stop", "length", "content_filter", "content_filter", "stop"]);
    const blocked = sse([[undefined, { promptFeedback: { blockReason: "SAFETY" } }]]);
    expect(folded(decodeChunks(geminiAdapter, [bytesOf(blocked)])).choices[0]!.finish_reason).toBe("content_filter");
  });

  it("treats a stream that ends without any finishReason as truncated, however far it got", () => {
    const cut = STREAM.slice(0, STREAM.lastIndexOf("data:"));
    expect(() => decodeChunks(geminiAdapter, [bytesOf(cut)])).toThrow(expect.objectContaining({ kind: "stream", code: "upstream_truncated" }));
    const unspecified = sse([[undefined, chunk([{ text: "x" }], { finishReason: "FINISH_REASON_UNSPECIFIED" })]]);
    expect(() => decodeChunks(geminiAdapter, [bytesOf(unspecified)])).toThrow(expect.objectContaining({ code: "upstream_truncated" }));
    expect(() => decodeChunks(geminiAdapter, [])).toThrow(expect.objectContaining({ code: "upstream_truncated" }));
  });

  it("ends with the status as code on an in-stream error", () => {
    const body = sse([
      [undefined, chunk([{ text: "a" }])],
      [undefined, { error: { code: 500, message: "Internal error", status: "INTERNAL" } }],
    ]);
    expect(() => decodeChunks(geminiAdapter, [bytesOf(body)])).toThrow(
      expect.objectContaining({ kind: "stream", code: "internal", message: "Internal error" }),
    );
  });
});

describe("gemini non-streamed answers and errors", () => {
  it("turns a GenerateContentResponse into a chat.completion", () => {
    const json = {
      ...chunk([{ text: "plan", thought: true }, { text: "Answer." }], { finishReason: "MAX_TOKENS" }),
      responseId: "r1",
      modelVersion: "gemini-2.5-flash",
    };
    expect(geminiAdapter.completion(json, "x", counterIds(), 5)).toMatchObject({
      id: "r1",
      model: "gemini-2.5-flash",
      created: 5,
      choices: [{ message: { content: "Answer.", reasoning_content: "plan" }, finish_reason: "length" }],
    });
  });

  it("maps errors: status as code; 429 waits the RetryInfo delay; 503 retries; 400 does not", () => {
    const err = (code: number, status: string, details?: unknown[]) =>
      JSON.stringify({ error: { code, message: `m${code}`, status, ...(details && { details }) } });
    expect(
      geminiAdapter.error(429, err(429, "RESOURCE_EXHAUSTED", [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "3s" }]), undefined),
    ).toMatchObject({
      code: "resource_exhausted",
      retryable: true,
      failoverable: true,
      retryAfterMs: 3000,
    });
    const unavailable = geminiAdapter.error(503, err(503, "UNAVAILABLE"), undefined);
    expect(unavailable).toMatchObject({ code: "unavailable", retryable: true });
    expect(failureOf(unavailable).status).toBe(502);
    const invalid = geminiAdapter.error(400, err(400, "INVALID_ARGUMENT"), undefined);
    expect(invalid).toMatchObject({ code: "invalid_argument", message: "m400", retryable: false, failoverable: false });
    expect(failureOf(invalid).status).toBe(400);
    const violation = [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "contents[0].parts", description: "required" }] }];
    expect(geminiAdapter.error(400, err(400, "INVALID_ARGUMENT", violation), undefined).param).toBe("contents[0].parts");
    const badKey = [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" }];
    expect(geminiAdapter.error(400, err(400, "INVALID_ARGUMENT", badKey), undefined)).toMatchObject({ credentialsRefused: true, failoverable: true });
    expect(failureOf(geminiAdapter.error(400, err(400, "INVALID_ARGUMENT", badKey), undefined))).toMatchObject({ status: 502, code: "upstream_auth_failed" });
  });

  it("lists models without their models/ prefix", () => {
    expect(geminiAdapter.modelsRequest(target).url).toBe("https://gemini.example/v1beta/models");
    expect(geminiAdapter.modelIds({ models: [{ name: "models/gemini-a" }, { name: "models/gemini-b" }] })).toEqual(["gemini-a", "gemini-b"]);
  });
});
