import { describe, expect, it } from "vitest";
import { failureOf } from "../../../src/pipeline/index.js";
import { anthropicAdapter } from "../../../src/upstream/adapters/anthropic/index.js";
import { UpstreamError } from "../../../src/upstream/index.js";
import { bytesOf, counterIds, decodeChunks, everySplit, folded, sse } from "../../helpers/native.js";

const target = { baseUrl: "https://api.anthropic.example", path: "/v1/messages", apiKey: "sk-ant", kind: "anthropic" as const };
const build = (body: Record<string, unknown>, native?: Record<string, unknown>, mode: "stream" | "complete" = "stream") =>
  anthropicAdapter.build({ ...target, native }, { model: "claude-x", ...body }, mode, counterIds());

const conversation = [
  { role: "system", content: "Be terse." },
  { role: "developer", content: "Use metric units." },
  {
    role: "user",
    content: [
      { type: "text", text: "Weather in Paris and Rome?" },
      { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
    ],
  },
  {
    role: "assistant",
    content: null,
    tool_calls: [
      { id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      { id: "toolu_2", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
    ],
  },
  { role: "tool", tool_call_id: "toolu_1", content: "18C" },
  { role: "tool", tool_call_id: "toolu_2", content: "24C" },
  { role: "user", content: "Which is warmer?" },
];

describe("anthropic request translation", () => {
  it("hoists system turns, turns tool calls into tool_use and tool results into one user turn", () => {
    const req = build({ messages: conversation });
    expect(req.url).toBe("https://api.anthropic.example/v1/messages");
    expect(req.headers).toMatchObject({ "x-api-key": "sk-ant", "anthropic-version": "2023-06-01", accept: "text/event-stream" });
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toEqual({
      model: "claude-x",
      stream: true,
      max_tokens: 4096,
      system: "Be terse.\n\nUse metric units.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Weather in Paris and Rome?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
            { type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Rome" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
            { type: "tool_result", tool_use_id: "toolu_2", content: "24C" },
            { type: "text", text: "Which is warmer?" },
          ],
        },
      ],
    });
  });

  it("maps tools, tool_choice, stop, temperature (clamped to 1) and top_p; drops fields it has no use for", () => {
    const tools = [
      { type: "function", function: { name: "lookup", description: "Find", parameters: { type: "object", properties: { q: { type: "string" } } } } },
    ];
    const body = build({
      messages: [{ role: "user", content: "hi" }],
      tools,
      tool_choice: "required",
      parallel_tool_calls: false,
      stop: "END",
      temperature: 1.5,
      top_p: 0.9,
      max_tokens: 50,
      logprobs: true,
    }).body;
    expect(body).toMatchObject({
      tools: [{ name: "lookup", description: "Find", input_schema: { type: "object", properties: { q: { type: "string" } } } }],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      stop_sequences: ["END"],
      temperature: 1,
      top_p: 0.9,
      max_tokens: 50,
    });
    expect(body).not.toHaveProperty("logprobs");
    expect(build({ messages: [{ role: "user", content: "hi" }], tools, tool_choice: { type: "function", function: { name: "lookup" } } }).body).toMatchObject({
      tool_choice: { type: "tool", name: "lookup" },
    });
    expect(build({ messages: [{ role: "user", content: "hi" }], tools, tool_choice: "none" }).body).toMatchObject({ tool_choice: { type: "none" } });
  });

  it("turns thinking on for streams with a budget: budget added to max_tokens, temperature dropped", () => {
    const body = build({ messages: [{ role: "user", content: "hi" }], max_tokens: 500, temperature: 0.3, top_p: 0.5 }, { thinkingBudget: 2048 });
    expect(body.body).toMatchObject({ thinking: { type: "enabled", budget_tokens: 2048 }, max_tokens: 2548 });
    expect(body.body).not.toHaveProperty("temperature");
    expect(body.body).not.toHaveProperty("top_p");
    // Summaries (non-streamed) and forced tool use never think.
    expect(build({ messages: [{ role: "user", content: "hi" }] }, { thinkingBudget: 2048 }, "complete").body).not.toHaveProperty("thinking");
    expect(
      build(
        { messages: [{ role: "user", content: "hi" }], tools: [{ type: "function", function: { name: "t" } }], tool_choice: "required" },
        { thinkingBudget: 2048 },
      ).body,
    ).not.toHaveProperty("thinking");
    // Mid tool loop the API wants the earlier signed thinking back, which the chat shape cannot carry.
    const loop = [
      { role: "user", content: "weather?" },
      { role: "assistant", tool_calls: [{ id: "t1", type: "function", function: { name: "w", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "t1", content: "sunny" },
    ];
    expect(build({ messages: loop }, { thinkingBudget: 2048 }).body).not.toHaveProperty("thinking");
    expect(
      build({ messages: [...loop, { role: "assistant", content: "Sunny." }, { role: "user", content: "thanks" }] }, { thinkingBudget: 2048 }).body,
    ).toHaveProperty("thinking");
    expect(build({ messages: [{ role: "user", content: "hi" }] }, { anthropicVersion: "2024-01-01", defaultMaxTokens: 777 }).headers["anthropic-version"]).toBe(
      "2024-01-01",
    );
    expect(build({ messages: [{ role: "user", content: "hi" }] }, { defaultMaxTokens: 777 }).body).toMatchObject({ max_tokens: 777 });
  });

  it("maps reasoning_effort to a thinking budget over the provider's; none turns thinking off", () => {
    const hi = [{ role: "user", content: "hi" }];
    expect(build({ messages: hi, reasoning_effort: "high", max_tokens: 100 }).body).toMatchObject({
      thinking: { type: "enabled", budget_tokens: 24576 },
      max_tokens: 24676,
    });
    expect(build({ messages: hi, reasoning_effort: "minimal" }, { thinkingBudget: 9000 }).body).toMatchObject({ thinking: { budget_tokens: 1024 } });
    expect(build({ messages: hi, reasoning_effort: "none" }, { thinkingBudget: 9000 }).body).not.toHaveProperty("thinking");
    // An effort the gateway does not know leaves the provider's setting alone; the field itself never goes to Anthropic.
    expect(build({ messages: hi, reasoning_effort: "max" }, { thinkingBudget: 2048 }).body).toMatchObject({ thinking: { budget_tokens: 2048 } });
    expect(build({ messages: hi, reasoning_effort: "low" }).body).not.toHaveProperty("reasoning_effort");
  });

  it("refuses tool arguments that are not a JSON object as the client's 400, not a provider failure", () => {
    const messages = [{ role: "assistant", tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: "{not json" } }] }];
    let err: unknown;
    try {
      build({ messages });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ kind: "request", code: "invalid_tool_arguments", failoverable: false, providerFault: false });
    expect(failureOf(err)).toMatchObject({ status: 400, type: "invalid_request_error", code: "invalid_tool_arguments" });
  });
});

const STREAM = sse([
  [
    "message_start",
    {
      type: "message_start",
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        content: [],
        model: "claude-x",
        usage: { input_tokens: 20, cache_read_input_tokens: 5, cache_creation_input_tokens: 0, output_tokens: 1 },
      },
    },
  ],
  ["ping", { type: "ping" }],
  ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } }],
  ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Paris is 18°C, " } }],
  ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Rome 24°C 🙂" } }],
  ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "c2ln" } }],
  ["content_block_stop", { type: "content_block_stop", index: 0 }],
  ["content_block_start", { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } }],
  ["content_block_delta", { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Rome is warmer" } }],
  ["content_block_delta", { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: " — by 6 °C." } }],
  ["content_block_stop", { type: "content_block_stop", index: 1 }],
  ["content_block_start", { type: "content_block_start", index: 2, content_block: { type: "tool_use", id: "toolu_9", name: "convert", input: {} } }],
  ["content_block_delta", { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: "" } }],
  ["content_block_delta", { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: '{"c":' } }],
  ["content_block_delta", { type: "content_block_delta", index: 2, delta: { type: "input_json_delta", partial_json: "6}" } }],
  ["content_block_stop", { type: "content_block_stop", index: 2 }],
  ["content_block_start", { type: "content_block_start", index: 3, content_block: { type: "tool_use", id: "toolu_10", name: "noargs", input: {} } }],
  ["content_block_stop", { type: "content_block_stop", index: 3 }],
  ["message_delta", { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 42 } }],
  ["message_stop", { type: "message_stop" }],
]);

const EXPECTED = {
  content: "Rome is warmer — by 6 °C.",
  reasoning_content: "Paris is 18°C, Rome 24°C 🙂",
  tool_calls: [
    { id: "toolu_9", type: "function", function: { name: "convert", arguments: '{"c":6}' } },
    { id: "toolu_10", type: "function", function: { name: "noargs", arguments: "{}" } },
  ],
};

describe("anthropic stream decoding", () => {
  it("reads thinking as reasoning, text as the answer, tool_use as tool calls, however the bytes are split", () => {
    for (const chunks of everySplit(STREAM)) {
      const c = folded(decodeChunks(anthropicAdapter, chunks));
      expect(c.choices[0]!.message).toEqual({ role: "assistant", ...EXPECTED });
      expect(c.choices[0]!.finish_reason).toBe("tool_calls");
      expect(c.usage).toEqual({ prompt_tokens: 25, completion_tokens: 42, total_tokens: 67, prompt_tokens_details: { cached_tokens: 5 } });
    }
  });

  it("counts redacted thinking blocks and never shows them", () => {
    const stream = sse([
      [
        "message_start",
        {
          type: "message_start",
          message: { id: "m", type: "message", role: "assistant", content: [], model: "claude-x", usage: { input_tokens: 1, output_tokens: 1 } },
        },
      ],
      ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix" } }],
      ["content_block_stop", { type: "content_block_stop", index: 0 }],
      ["content_block_start", { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } }],
      ["content_block_delta", { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Hi." } }],
      ["content_block_stop", { type: "content_block_stop", index: 1 }],
      ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 3 } }],
      ["message_stop", { type: "message_stop" }],
    ]);
    const deltas = decodeChunks(anthropicAdapter, [bytesOf(stream)]);
    expect(deltas.reduce((n, d) => n + (d.encryptedReasoning ?? 0), 0)).toBe(1);
    expect(JSON.stringify(deltas)).not.toContain("EmwKAhgB");
  });

  it("emits the tool call's id and name first, then argument fragments in OpenAI's delta shape", () => {
    const calls = decodeChunks(anthropicAdapter, [bytesOf(STREAM)]).flatMap((d) => d.toolCalls ?? []);
    expect(calls.slice(0, 3)).toEqual([
      { index: 0, id: "toolu_9", type: "function", function: { name: "convert", arguments: "" } },
      { index: 0, function: { arguments: '{"c":' } },
      { index: 0, function: { arguments: "6}" } },
    ]);
  });

  it("maps stop reasons to OpenAI's finish reasons", () => {
    const finish = (stop: string) =>
      folded(
        decodeChunks(anthropicAdapter, [
          bytesOf(
            sse([
              ["message_delta", { type: "message_delta", delta: { stop_reason: stop } }],
              ["message_stop", { type: "message_stop" }],
            ]),
          ),
        ]),
      ).choices[0]!.finish_reason;
    expect(["end_turn", "stop_sequence", "max_tokens", "tool_use", "refusal"].map(finish)).toEqual(["stop", "stop", "length", "tool_calls", "content_filter"]);
  });

  it("ends with the upstream's own error type on an `error` event", () => {
    const body = sse([
      ["message_start", { type: "message_start", message: { usage: { input_tokens: 1 } } }],
      ["error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }],
    ]);
    expect(() => decodeChunks(anthropicAdapter, [bytesOf(body)])).toThrow(
      expect.objectContaining({ kind: "stream", code: "overloaded_error", message: "Overloaded" }),
    );
  });

  it("an overloaded (or api, or rate limit) error mid-stream is retryable and may fail over; an invalid request is neither retryable", () => {
    const fail = (type: string) => {
      const body = sse([
        ["message_start", { type: "message_start", message: { usage: { input_tokens: 1 } } }],
        ["error", { type: "error", error: { type, message: type } }],
      ]);
      try {
        decodeChunks(anthropicAdapter, [bytesOf(body)]);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    for (const type of ["overloaded_error", "api_error", "rate_limit_error"]) expect(fail(type), type).toMatchObject({ retryable: true, failoverable: true });
    expect(fail("invalid_request_error")).toMatchObject({ retryable: false });
  });

  it("treats a stream that ends before message_stop as truncated", () => {
    const cut = STREAM.slice(0, STREAM.indexOf("event: message_delta"));
    expect(() => decodeChunks(anthropicAdapter, [bytesOf(cut)])).toThrow(expect.objectContaining({ code: "upstream_truncated" }));
  });
});

describe("anthropic non-streamed answers and errors", () => {
  it("turns a Message into a chat.completion", () => {
    const message = {
      id: "msg_2",
      type: "message",
      role: "assistant",
      model: "claude-x",
      content: [
        { type: "thinking", thinking: "hmm", signature: "s" },
        { type: "text", text: "Hello." },
        { type: "tool_use", id: "toolu_1", name: "f", input: { a: 1 } },
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: 3, output_tokens: 4 },
    };
    expect(anthropicAdapter.completion(message, "claude-x", counterIds(), 100)).toEqual({
      id: "msg_2",
      object: "chat.completion",
      created: 100,
      model: "claude-x",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: "Hello.",
            reasoning_content: "hmm",
            tool_calls: [{ id: "toolu_1", type: "function", function: { name: "f", arguments: '{"a":1}' } }],
          },
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    });
  });

  it("maps error bodies: the error type is the code; 429 and 529 are retryable and fail over, 400 neither", () => {
    const body = (type: string, message: string) => JSON.stringify({ type: "error", error: { type, message }, request_id: "req_1" });
    const overloaded = anthropicAdapter.error(529, body("overloaded_error", "Overloaded"), undefined);
    expect(overloaded).toMatchObject({
      status: 529,
      code: "overloaded_error",
      type: "overloaded_error",
      message: "Overloaded",
      retryable: true,
      failoverable: true,
      providerFault: true,
    });
    expect(failureOf(overloaded).status).toBe(502);
    const limited = anthropicAdapter.error(429, body("rate_limit_error", "slow down"), 7000);
    expect(limited).toMatchObject({ code: "rate_limit_error", retryable: true, failoverable: true, retryAfterMs: 7000 });
    expect(failureOf(limited)).toMatchObject({ status: 429, retryAfterMs: 7000 });
    const bad = anthropicAdapter.error(400, body("invalid_request_error", "max_tokens: Field required"), undefined);
    expect(bad).toMatchObject({
      code: "invalid_request_error",
      message: "max_tokens: Field required",
      retryable: false,
      failoverable: false,
      providerFault: false,
    });
    expect(failureOf(bad).status).toBe(400);
  });

  it("lists models at /v1/models with the same headers", () => {
    const r = anthropicAdapter.modelsRequest(target);
    expect(r).toEqual({
      url: "https://api.anthropic.example/v1/models",
      headers: { accept: "application/json", "anthropic-version": "2023-06-01", "x-api-key": "sk-ant" },
    });
    expect(anthropicAdapter.modelIds({ data: [{ id: "claude-a", type: "model" }, { id: "claude-b" }] })).toEqual(["claude-a", "claude-b"]);
  });
});
