import OpenAI, { AuthenticationError, BadRequestError, InternalServerError, PermissionDeniedError } from "openai";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { chatCalls, useProviderStack } from "../helpers/providers.js";
import { useStack } from "../helpers/stack.js";
import { postStaged } from "../helpers/sse.js";

/*
 * What a client sees when the upstream side fails before any answer, on every surface: the
 * staged SSE route (plain fetch), and the OpenAI chat and Responses routes through the official
 * `openai` SDK (err.status, err.code, err.param are what an application acts on).
 */

const stack = useProviderStack();
const single = useStack();
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
  {
    role: "assistant" as const,
    content: null,
    tool_calls: [{ id: "call_1", type: "function" as const, function: { name: "get_weather", arguments: "{not json" } }],
  },
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
        .then(
          () => undefined,
          (e: unknown) => e,
        );
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
      .then(
        () => undefined,
        (e: unknown) => e,
      );
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
      const err: unknown = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(BadRequestError);
      expect(err, name).toMatchObject({ status: 400, param: "temperature", code: "bad_request", message: expect.stringContaining(fail.message) });
    }
  });
});

/** A logger that keeps every line, to check what was said and what was not. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = pino({ level: "info", base: undefined }, { write: (s: string) => void (raw.push(s), lines.push(JSON.parse(s) as Record<string, unknown>)) });
  return { logger, lines, raw };
}

const LEAKY_MESSAGE =
  "Incorrect API key provided: sk-test-abcdefghijklmnopqrstuvwxyz0123. You can find your API key at https://platform.example/account/api-keys.";

describe("an upstream that refuses the gateway's credentials", () => {
  it("is a 502 upstream_auth_failed for the client on every surface, never its own 401/403", async () => {
    const { gateway } = await single(
      { faults: { fail: { status: 401, times: Infinity, message: LEAKY_MESSAGE } } },
      { UPSTREAM_API_KEY: "sk-gateway-secret-0000000000" },
    );

    const staged = await postStaged(gateway.url, { model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(staged.status).toBe(502);
    expect(staged.json).toMatchObject({ error: { type: "upstream_error", code: "upstream_auth_failed" } });
    expect(staged.raw).not.toContain("sk-test");

    const calls: [string, () => Promise<unknown>][] = [
      ["chat, streamed", () => sdk(gateway.url).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true })],
      ["chat", () => sdk(gateway.url).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] })],
      ["responses, streamed", () => sdk(gateway.url).responses.create({ model: "m", input: "hi", stream: true })],
      ["responses", () => sdk(gateway.url).responses.create({ model: "m", input: "hi" })],
    ];
    for (const [name, call] of calls) {
      const err: unknown = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(InternalServerError);
      expect(err, name).not.toBeInstanceOf(AuthenticationError);
      expect(err, name).not.toBeInstanceOf(PermissionDeniedError);
      expect(err, name).toMatchObject({ status: 502, code: "upstream_auth_failed", type: "upstream_error" });
    }
  });

  it("fails over to the next provider, takes the refusing one out of rotation, and says so once at error level without the key", async () => {
    const log = capturingLogger();
    const yaml = `providers:
  - id: bad
    base_url: "{{url:bad}}"
    api_key_env: BAD_KEY
  - id: good
    base_url: "{{url:good}}"
routes:
  - model: "*"
    providers: [bad, good]
`;
    const { gateway, mocks } = await stack(
      { bad: { faults: { fail: { status: 403, times: Infinity, target: "all", message: LEAKY_MESSAGE } } }, good: {} },
      yaml,
      { BAD_KEY: "sk-bad-secret-1111111111" },
      { logger: log.logger },
    );

    for (let i = 0; i < 3; i++) {
      const { data, response } = await sdk(gateway.url)
        .chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] })
        .withResponse();
      expect(response.headers.get("x-gateway-provider")).toBe("good");
      expect(data.choices[0]?.message.content).toBe(mocks.good!.mock.options.answerText);
    }
    // The first request found out; the ones after it never went there.
    expect(chatCalls(mocks.bad!)).toHaveLength(1);
    const providers = (await (await fetch(`${gateway.url}/v1/providers`)).json()) as {
      providers: { id: string; state: string; cooldown_remaining_ms: number }[];
    };
    const bad = providers.providers.find((p) => p.id === "bad");
    expect(bad?.state).toBe("open");
    // Out for max_open_seconds (300 s by default), not cooldown_seconds.
    expect(bad?.cooldown_remaining_ms).toBeGreaterThan(60_000);

    const loud = log.lines.filter((l) => l.level === 50 && l.provider === "bad");
    expect(loud).toEqual([expect.objectContaining({ status: 403, msg: expect.stringContaining("refused the gateway's credentials") })]);
    const everything = log.raw.join("");
    expect(everything).not.toContain("sk-bad-secret-1111111111");
    expect(everything).not.toContain("sk-test-abcdefghijklmnopqrstuvwxyz0123");
  });
});
