import OpenAI, { BadRequestError } from "openai";
import { describe, expect, it } from "vitest";
import { chatCalls, useProviderStack } from "../helpers/providers.js";
import { postStaged } from "../helpers/sse.js";

/*
 * What a client sees when the upstream side fails before any answer, on every surface: the
 * staged SSE route (plain fetch), and the OpenAI chat and Responses routes through the official
 * `openai` SDK (err.status, err.code, err.param are what an application acts on).
 */

const stack = useProviderStack();
const ENV = { ANTHROPIC_KEY: "sk-ant-test" };
const sdk = (url: string) => new OpenAI({ baseURL: `${url}/openai/v1`, apiKey: "unused", maxRetries: 0 });

const anthropicOnly = `providers:
  - id: claude
    kind: anthropic
    base_url: "{{root:claude}}"
    api_key_env: ANTHROPIC_KEY
routes:
  - model: "*"
    providers: [claude]
`;

/** A tool loop whose assistant turn carries arguments that are not JSON: Anthropic's `input` must be an object. */
const brokenToolLoop = [
  { role: "user" as const, content: "Weather in Paris?" },
  { role: "assistant" as const, content: null, tool_calls: [{ id: "call_1", type: "function" as const, function: { name: "get_weather", arguments: "{not json" } }] },
  { role: "tool" as const, tool_call_id: "call_1", content: "18 °C" },
];

describe("a tool call whose arguments are not JSON is the client's 400, on every surface", () => {
  it("staged SSE, OpenAI chat (streamed and not) and Responses: 400 invalid_request_error invalid_tool_arguments; no chat call goes upstream", async () => {
    const { gateway, mocks } = await stack({ claude: {} }, anthropicOnly, ENV);

    const staged = await postStaged(gateway.url, { model: "m", messages: brokenToolLoop });
    expect(staged.status).toBe(400);
    expect(staged.json).toMatchObject({ error: { type: "invalid_request_error", code: "invalid_tool_arguments", message: expect.stringContaining("call_1") } });

    for (const stream of [true, false]) {
      const err: unknown = await sdk(gateway.url)
        .chat.completions.create({ model: "m", messages: brokenToolLoop, stream })
        .then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err).toMatchObject({ status: 400, code: "invalid_tool_arguments", type: "invalid_request_error", param: "messages" });
    }

    const err: unknown = await sdk(gateway.url)
      .responses.create({
        model: "m",
        input: [
          { role: "user", content: "Weather in Paris?" },
          { type: "function_call", call_id: "call_1", name: "get_weather", arguments: "{not json" },
          { type: "function_call_output", call_id: "call_1", output: "18 °C" },
        ],
        stream: true,
      })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err).toMatchObject({ status: 400, code: "invalid_tool_arguments" });

    // Refused while translating: the provider never saw the request (summaries may have run).
    expect(chatCalls(mocks.claude!)).toEqual([]);
  });
});

const openaiOnly = `providers:
  - id: up
    base_url: "{{url:up}}"
routes:
  - model: "*"
    providers: [up]
`;

describe("the upstream's error `param` reaches the client", () => {
  it("on the staged route's JSON error, and as err.param in the openai SDK on chat and Responses, streamed or not", async () => {
    const fail = { status: 400, times: Infinity, param: "temperature", message: "temperature: must be at most 2" };
    const { gateway } = await stack({ up: { faults: { fail } } }, openaiOnly);

    const staged = await postStaged(gateway.url, { model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(staged.status).toBe(400);
    expect(staged.json).toEqual({ error: { message: fail.message, type: "invalid_request_error", code: "bad_request", param: "temperature" } });

    const calls: [string, () => Promise<unknown>][] = [
      ["chat, streamed", () => sdk(gateway.url).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true })],
      ["chat", () => sdk(gateway.url).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] })],
      ["responses, streamed", () => sdk(gateway.url).responses.create({ model: "m", input: "hi", stream: true })],
      ["responses", () => sdk(gateway.url).responses.create({ model: "m", input: "hi" })],
    ];
    for (const [name, call] of calls) {
      const err: unknown = await call().then(() => undefined, (e: unknown) => e);
      expect(err, name).toBeInstanceOf(BadRequestError);
      expect(err, name).toMatchObject({ status: 400, param: "temperature", code: "bad_request", message: expect.stringContaining(fail.message) });
    }
  });
});
