import OpenAI, { APIError } from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { ScriptedChunk } from "../../mock-upstream/script.js";
import { silentLogger } from "../../src/observability/index.js";
import { openRequestLog, type RequestLog } from "../../src/storage/index.js";
import { sample } from "../helpers/prom.js";
import { chatCalls, useProviderStack } from "../helpers/providers.js";
import { answerOf, first, names, postStaged, stagedOrder, userMessage } from "../helpers/sse.js";

/*
 * Schema-validated answers over real sockets: a local and a cloud mock provider whose answers are
 * scripted per call (invalid once, always, or only on the local tier), every surface, the
 * official openai SDK, metrics and the request log.
 */

const stack = useProviderStack();
const logs: RequestLog[] = [];
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close();
});

const schema = {
  type: "object",
  properties: { city: { type: "string" }, days: { type: "integer", minimum: 1 } },
  required: ["city", "days"],
  additionalProperties: false,
};
const responseFormat = (strict = false) => ({ type: "json_schema", json_schema: { name: "trip", schema, strict } });

const VALID = '{"city":"Kyoto","days":3}';
const CLOUD_VALID = '{"city":"Lisbon","days":4}';
const PROSE = "Sure! Kyoto, for three days.";
const FENCED = '```json\n{"city":"Kyoto","days":"three"}\n```';

/** One upstream answer: reasoning in its own field, then the answer in two chunks. */
const answer = (text: string, reasoning = "The user wants a short city break. A city with temples would suit."): ScriptedChunk[] => [
  { delta: { role: "assistant", reasoning_content: reasoning } },
  { delta: { content: text.slice(0, 9) } },
  { delta: { content: text.slice(9) }, finish_reason: "stop" },
];

const YAML = `
providers:
  - { id: box, tier: local, base_url: "{{url:box}}", models: { trip-llm: mock-plain } }
  - { id: cloud, tier: cloud, base_url: "{{url:cloud}}", models: { trip-llm: mock-plain } }
routes:
  - { model: "*", strategy: priority, providers: [box, cloud] }
`;

/** Short prompts are routine: the local provider is asked first. */
const ask = (extra: Record<string, unknown> = {}) => ({
  model: "trip-llm",
  messages: userMessage("Suggest a city for a short trip."),
  response_format: responseFormat(),
  ...extra,
});

/** Each mock answers from its queue, then repeats its last script. */
async function start(box: ScriptedChunk[][], cloud: ScriptedChunk[][] = [answer(CLOUD_VALID)], opts: { requestLog?: boolean } = {}) {
  const requestLog = opts.requestLog ? await openRequestLog({ dataDir: "memory://", logger: silentLogger() }) : undefined;
  if (requestLog) logs.push(requestLog);
  const s = await stack(
    { box: { scripts: box, script: box.at(-1) ?? null }, cloud: { scripts: cloud, script: cloud.at(-1) ?? null } },
    YAML,
    {},
    requestLog ? { requestLog } : {},
  );
  const metrics = async () => (await fetch(`${s.gateway.url}/metrics`)).text();
  const logged = async (id: string) => {
    await requestLog?.flush();
    return (await (await fetch(`${s.gateway.url}/v1/requests/${id}`)).json()) as Record<string, any>;
  };
  return { ...s, metrics, logged, sdk: new OpenAI({ baseURL: `${s.gateway.url}/openai/v1`, apiKey: "unused", maxRetries: 0 }) };
}

const systemOf = (body: Record<string, unknown>): string => {
  const m = (body.messages as { role: string; content: string }[])[0];
  return m?.role === "system" ? m.content : "";
};

describe("schema-validated answers on the staged stream", () => {
  // Room for a busy machine: an embedded request log starts (seconds) and so does the first
  // validation worker (a second or two from the TypeScript sources), before any answer is checked.
  it("invalid once: retried on the same provider with the schema restated; the client sees only the valid answer", { timeout: 90_000 }, async () => {
    const s = await start([answer(PROSE), answer(VALID)], undefined, { requestLog: true });
    const r = await postStaged(s.gateway.url, ask());
    expect(r.status).toBe(200);
    expect(stagedOrder(r)).toEqual(["summary.prompt", "summary.reasoning", "output.delta", "output.done"]);
    expect(answerOf(r)).toBe(VALID);
    expect(r.raw).not.toContain("Sure!");
    expect(first(r, "output.done").data).toMatchObject({ finish_reason: "stop", validation: { valid: true, attempts: 2, escalated: false } });

    const calls = chatCalls(s.mocks.box!);
    expect(calls).toHaveLength(2);
    expect(chatCalls(s.mocks.cloud!)).toHaveLength(0);
    // response_format goes upstream on both; the retry carries the constrained instruction.
    for (const c of calls) expect(c.body.response_format).toEqual(responseFormat());
    expect(systemOf(calls[0]!.body)).not.toContain("Return only JSON");
    expect(systemOf(calls[1]!.body)).toContain(`Your answer must be JSON that matches this JSON Schema ("trip"):\n${JSON.stringify(schema)}`);
    expect(systemOf(calls[1]!.body)).toContain("no prose, no code fences");

    const m = await s.metrics();
    expect(sample(m, "gateway_validations_total", { provider: "box", outcome: "invalid" })).toBe(1);
    expect(sample(m, "gateway_validations_total", { provider: "box", outcome: "valid" })).toBe(1);
    expect(sample(m, "gateway_validation_retries_total", { provider: "box" })).toBe(1);
    expect(sample(m, "gateway_escalations_total", { from: "box", to: "cloud" })).toBeUndefined();

    const row = await s.logged(String(first(r, "output.done").data.request_id));
    expect(row.validation).toEqual({
      valid: true,
      attempts: 2,
      escalated: false,
      tries: [
        { provider: "box", constrained: false, valid: false },
        { provider: "box", constrained: true, valid: true },
      ],
    });
    expect(row).toMatchObject({ provider: "box", retries: 0, failovers: 0 });
  });

  it("invalid only on the local tier: escalated to the cloud provider, and reported so", async () => {
    const s = await start([answer(PROSE), answer(FENCED)]);
    const r = await postStaged(s.gateway.url, ask());
    expect(answerOf(r)).toBe(CLOUD_VALID);
    expect(r.raw).not.toContain("Kyoto");
    expect(first(r, "output.done").data).toMatchObject({ validation: { valid: true, attempts: 3, escalated: true }, route: { provider: "cloud" } });
    expect(chatCalls(s.mocks.box!)).toHaveLength(2);
    expect(chatCalls(s.mocks.cloud!)).toHaveLength(1);

    const m = await s.metrics();
    expect(sample(m, "gateway_escalations_total", { from: "box", to: "cloud" })).toBe(1);
    expect(sample(m, "gateway_validations_total", { provider: "box", outcome: "invalid" })).toBe(2);
    expect(sample(m, "gateway_validations_total", { provider: "cloud", outcome: "valid" })).toBe(1);

    // The dashboard's numbers: box failed both of its checks; the event tail says what happened.
    const stats = (await (await fetch(`${s.gateway.url}/v1/monitoring/stats`)).json()) as Record<string, any>;
    expect(stats.validation).toEqual({ box: { checked: 2, failed: 2 }, cloud: { checked: 1, failed: 0 } });
    const events = ((await (await fetch(`${s.gateway.url}/v1/monitoring/logs`)).json()) as { events: { type: string; message: string }[] }).events;
    // (The parser's own words after "not JSON:" are V8's, and differ between Node versions.)
    expect(events.filter((e) => e.type === "validation").map((e) => e.message)).toEqual([
      expect.stringMatching(/^answer 1 from box failed its schema: the answer is not JSON: [^\n]+; retrying with the schema restated$/),
      expect.stringMatching(/^answer 2 from box failed its schema: the answer is not JSON: [^\n]+; escalating to cloud$/),
    ]);
  });

  it("stream:false on the staged surface: the valid answer, the report beside choices, the provider in the header", async () => {
    const s = await start([answer(PROSE), answer(PROSE)]);
    const res = await fetch(`${s.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ask({ stream: false })),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-provider")).toBe("cloud");
    const body = (await res.json()) as Record<string, any>;
    expect(body.choices[0].message.content).toBe(CLOUD_VALID);
    expect(body.validation).toEqual({ valid: true, attempts: 3, escalated: true });
  });

  it("nothing validates: the last answer with valid:false and the validator's errors", async () => {
    const s = await start([answer(PROSE), answer(FENCED)], [answer('{"city":"Lisbon","days":0}')]);
    const r = await postStaged(s.gateway.url, ask());
    expect(answerOf(r)).toBe('{"city":"Lisbon","days":0}');
    expect(first(r, "output.done").data.validation).toEqual({ valid: false, attempts: 3, escalated: true, errors: ["/days: must be >= 1"] });
    const m = await s.metrics();
    expect(sample(m, "gateway_requests_total", { model: "trip-llm", outcome: "ok", status: "200" })).toBe(1);
  });

  it("strict: nothing validates: a stream ends with an error event at stage validation and no output.done; stream:false is 422", async () => {
    const s = await start([answer(PROSE)], [answer(PROSE)]);
    const r = await postStaged(s.gateway.url, ask({ response_format: responseFormat(true) }));
    expect(r.status).toBe(200);
    expect(names(r)).not.toContain("output.done");
    expect(names(r)).not.toContain("output.delta");
    expect(r.events.at(-1)).toMatchObject({ event: "error", data: { stage: "validation", code: "validation_failed", retryable: true } });
    expect(String(r.events.at(-1)?.data.message)).toMatch(/^no answer matched the response_format schema after 3 attempts: the answer is not JSON/);

    const res = await fetch(`${s.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ask({ stream: false, response_format: responseFormat(true) })),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", code: "validation_failed" } });
    const m = await s.metrics();
    expect(sample(m, "gateway_requests_total", { model: "trip-llm", outcome: "upstream_error", status: "422" })).toBe(1);
  });

  it("a schema Ajv cannot compile is a 400 naming the problem, with no upstream call at all", async () => {
    const s = await start([answer(VALID)]);
    const bad = { type: "json_schema", json_schema: { name: "trip", schema: { type: "object", properties: { days: { type: "integr" } } } } };
    const r = await postStaged(s.gateway.url, ask({ response_format: bad }));
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      error: {
        type: "invalid_request_error",
        code: "invalid_json_schema",
        message: expect.stringMatching(
          /^response_format\.json_schema\.schema: schema is invalid: data\/properties\/days\/type must be equal to one of the allowed values/,
        ),
      },
    });
    expect(s.mocks.box!.mock.calls).toEqual([]);
    expect(s.mocks.cloud!.mock.calls).toEqual([]);
    const m = await s.metrics();
    expect(sample(m, "gateway_requests_total", { model: "trip-llm", outcome: "rejected", status: "400" })).toBe(1);
  });
});

describe("schema-validated answers with the official openai SDK", () => {
  it("chat.completions.create with response_format: the valid JSON, and the validation extension field", async () => {
    const s = await start([answer(PROSE), answer(VALID)]);
    const res = await s.sdk.chat.completions.create({
      model: "trip-llm",
      messages: [{ role: "user", content: "Suggest a city for a short trip." }],
      response_format: { type: "json_schema", json_schema: { name: "trip", schema, strict: true } },
    });
    expect(res.choices[0]?.message.content).toBe(VALID);
    expect((res as unknown as { validation: unknown }).validation).toEqual({ valid: true, attempts: 2, escalated: false });
  });

  it("chat.completions.parse with zodResponseFormat: the SDK's own schema compiles, and parsed is the object", async () => {
    const s = await start([answer(FENCED), answer(VALID)]);
    const Trip = z.object({ city: z.string(), days: z.number().int() });
    const res = await s.sdk.chat.completions.parse({
      model: "trip-llm",
      messages: [{ role: "user", content: "Suggest a city for a short trip." }],
      response_format: zodResponseFormat(Trip, "trip"),
    });
    expect(res.choices[0]?.message.parsed).toEqual({ city: "Kyoto", days: 3 });
  });

  it("streamed chat: the answer chunks carry only the valid answer, and the last chunk carries validation", async () => {
    const s = await start([answer(PROSE), answer(VALID)]);
    const stream = await s.sdk.chat.completions.create({
      model: "trip-llm",
      messages: [{ role: "user", content: "Suggest a city for a short trip." }],
      response_format: { type: "json_schema", json_schema: { name: "trip", schema } },
      stream: true,
    });
    let content = "";
    const finals: unknown[] = [];
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? "";
      if (chunk.choices[0]?.finish_reason) finals.push((chunk as unknown as { validation?: unknown }).validation);
    }
    expect(content).toBe(VALID);
    expect(finals).toEqual([{ valid: true, attempts: 2, escalated: false }]);
  });

  it("strict and nothing validates: the SDK throws the 422, and a stream raises the in-stream error", async () => {
    const s = await start([answer(PROSE)], [answer(PROSE)]);
    const params = {
      model: "trip-llm",
      messages: [{ role: "user" as const, content: "Suggest a city for a short trip." }],
      response_format: { type: "json_schema" as const, json_schema: { name: "trip", schema, strict: true } },
    };
    const err: unknown = await s.sdk.chat.completions.create(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect(err).toMatchObject({ status: 422, code: "validation_failed" });
    const streamed = await s.sdk.chat.completions.create({ ...params, stream: true });
    let content = "";
    const thrown = await (async () => {
      for await (const chunk of streamed) content += chunk.choices[0]?.delta.content ?? "";
    })().catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(APIError);
    expect(String((thrown as Error).message)).toContain("no answer matched the response_format schema");
    expect(content).toBe("");
  });

  it("responses.create with text.format json_schema: output_text is the valid answer, validation on the response object", async () => {
    const s = await start([answer(PROSE), answer(VALID)]);
    const res = await s.sdk.responses.create({
      model: "trip-llm",
      input: "Suggest a city for a short trip.",
      text: { format: { type: "json_schema", name: "trip", schema, strict: true } },
    });
    expect(res.output_text).toBe(VALID);
    expect((res as unknown as { validation: unknown }).validation).toEqual({ valid: true, attempts: 2, escalated: false });
    expect(chatCalls(s.mocks.box!)[0]!.body.response_format).toEqual({ type: "json_schema", json_schema: { name: "trip", schema, strict: true } });
  });

  it("streamed responses: no invalid text in any delta; response.completed carries validation", async () => {
    const s = await start([answer(PROSE), answer(PROSE)]);
    const stream = await s.sdk.responses.create({
      model: "trip-llm",
      input: "Suggest a city for a short trip.",
      text: { format: { type: "json_schema", name: "trip", schema } },
      stream: true,
    });
    let deltas = "";
    let completed: Record<string, unknown> | undefined;
    for await (const e of stream) {
      if (e.type === "response.output_text.delta") deltas += e.delta;
      if (e.type === "response.completed") completed = e.response as unknown as Record<string, unknown>;
    }
    expect(deltas).toBe(CLOUD_VALID);
    expect(completed?.validation).toEqual({ valid: true, attempts: 3, escalated: true });
  });
});
