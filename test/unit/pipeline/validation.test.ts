import { describe, expect, it } from "vitest";
import type { StagedEvent } from "../../../src/events/index.js";
import { createCollector, type StagedRequest } from "../../../src/pipeline/index.js";
import { noopObserver, type RequestRecord } from "../../../src/events/index.js";
import type { ValidationEvent } from "../../../src/events/observer.js";
import { UpstreamError, type UpstreamDelta } from "../../../src/upstream/index.js";
import { answerOf, delta, fakes, recordingSink, request, runStaged, type FakeOptions } from "./fakes.js";

/*
 * Schema-validated answers in the pipeline: validate → constrained retry → escalate, with fake
 * upstreams whose answers are scripted per call.
 */

const schema = {
  type: "object",
  properties: { city: { type: "string" }, days: { type: "integer", minimum: 1 } },
  required: ["city", "days"],
  additionalProperties: false,
};
const jsonSchema = (strict = false) => ({ response_format: { type: "json_schema", json_schema: { name: "trip", schema, strict } } });

const VALID = '{"city":"Kyoto","days":3}';
const PROSE = "Sure! Here is your trip: Kyoto for three days.";
const WRONG_TYPE = '{"city":"Kyoto","days":"three"}';

/** An attempt: some reasoning, then the answer in two pieces. */
const answering = (text: string, reasoning = "thinking about the trip"): UpstreamDelta[] => [
  delta({ reasoning }),
  delta({ content: text.slice(0, 7) }),
  delta({ content: text.slice(7) }),
  delta({ finishReason: "stop", usage: { prompt_tokens: 10, completion_tokens: text.length } }),
];

function run(scripts: FakeOptions["scripts"], opts: Omit<FakeOptions, "scripts"> & { req?: Partial<StagedRequest> } = {}) {
  const f = fakes([], { validation: {}, ...opts, scripts });
  const validations: ValidationEvent[] = [];
  const records: RequestRecord[] = [];
  f.deps.observer = { ...noopObserver, validation: (v) => void validations.push(v), finished: (r) => void records.push(r) };
  const rec = recordingSink();
  const done = runStaged(request({ passthrough: jsonSchema(), ...opts.req }), f.deps, rec.sink, new AbortController().signal);
  return { f, ...rec, validations, records, done };
}

const doneOf = (events: StagedEvent[]) => events.find((e): e is Extract<StagedEvent, { event: "output.done" }> => e.event === "output.done")?.data;
const systemOf = (body: Record<string, unknown> | undefined): string => {
  const first = (body?.messages as { role: string; content: string }[] | undefined)?.[0];
  return first?.role === "system" ? first.content : "";
};
/** Nothing but `allowed` ever reached the client as answer text. */
const onlyAnswer = (events: StagedEvent[], allowed: string) => {
  for (const e of events) if (e.event === "output.delta") expect(allowed).toContain(e.data.text);
  expect(answerOf(events)).toBe(allowed);
};

describe("schema-validated answers in the pipeline", () => {
  it("a valid first answer is released as it came, with validation {valid, attempts: 1}, and response_format still goes upstream", async () => {
    const r = run([answering(VALID)]);
    await r.done;
    expect(r.f.bodies).toHaveLength(1);
    expect(r.f.bodies[0]).toMatchObject(jsonSchema());
    onlyAnswer(r.events, VALID);
    expect(doneOf(r.events)).toMatchObject({ finish_reason: "stop", validation: { valid: true, attempts: 1, escalated: false } });
    expect(doneOf(r.events)?.validation).not.toHaveProperty("errors");
    // The summaries stream as usual, in the staged order.
    expect(r.events.map((e) => e.event).filter((n, i, all) => n !== all[i - 1])).toEqual([
      "summary.prompt",
      "summary.reasoning",
      "output.delta",
      "output.done",
    ]);
    expect(r.records[0]?.validation).toEqual({
      valid: true,
      attempts: 1,
      escalated: false,
      tries: [{ provider: "upstream", constrained: false, valid: true }],
    });
    expect(r.validations).toEqual([{ id: "req-1", provider: "upstream", valid: true, attempt: 1 }]);
  });

  it("an invalid answer is retried once on the same provider with the constrained instruction, and only the valid answer is released", async () => {
    const r = run([answering(PROSE, "first thoughts"), answering(VALID, "second thoughts")]);
    await r.done;
    expect(r.f.targets).toEqual(["upstream", "upstream"]);
    expect(systemOf(r.f.bodies[0])).not.toContain("Return only JSON");
    const constrained = systemOf(r.f.bodies[1]);
    expect(constrained).toContain(JSON.stringify(schema));
    expect(constrained).toContain("Return only JSON that matches it: no prose, no code fences");
    expect(constrained).toContain("the answer is not JSON");
    // The retry still asks the upstream for JSON, and the client's own messages follow the instruction.
    expect(r.f.bodies[1]).toMatchObject(jsonSchema());
    expect((r.f.bodies[1]?.messages as unknown[]).at(-1)).toEqual({ role: "user", content: "hi" });
    onlyAnswer(r.events, VALID);
    expect(doneOf(r.events)?.validation).toEqual({ valid: true, attempts: 2, escalated: false });
    // One reasoning summary, from the first attempt's reasoning (as failover does).
    expect(r.events.filter((e) => e.event === "summary.reasoning")).toHaveLength(1);
    expect(r.f.summaries.filter((s) => s.kind === "reasoning").map((s) => s.text)).toEqual(["first thoughts"]);
    expect(r.validations.map((v) => [v.valid, v.next])).toEqual([
      [false, { action: "retry" }],
      [true, undefined],
    ]);
    // The validation retry is not an upstream retry.
    expect(r.records[0]).toMatchObject({
      retries: 0,
      failovers: 0,
      validation: {
        tries: [
          { constrained: false, valid: false },
          { constrained: true, valid: true },
        ],
      },
    });
  });

  it("invalid twice on a local provider escalates to the cloud tier, skipping the other local one", async () => {
    const r = run([answering(PROSE), answering(WRONG_TYPE), answering(VALID)], {
      providers: [
        { id: "box", tier: "local" },
        { id: "box2", tier: "local" },
        { id: "cloud", tier: "cloud" },
      ],
      // A short prompt is routine: local providers first.
      req: { passthrough: jsonSchema(), taskCategory: "routine" },
    });
    await r.done;
    expect(r.f.targets).toEqual(["box", "box", "cloud"]);
    // The escalated attempt starts plain: the stronger model gets the request as the client sent it.
    expect(systemOf(r.f.bodies[2])).not.toContain("Return only JSON");
    onlyAnswer(r.events, VALID);
    expect(doneOf(r.events)?.validation).toEqual({ valid: true, attempts: 3, escalated: true });
    expect(r.validations.map((v) => v.next)).toEqual([{ action: "retry" }, { action: "escalate", to: "cloud" }, undefined]);
    expect(r.records[0]).toMatchObject({ provider: "cloud", retries: 0 });
  });

  it("with no higher tier, escalation goes to the route's next candidate", async () => {
    const r = run([answering(PROSE), answering(PROSE), answering(VALID)], {
      providers: [
        { id: "a", tier: "cloud" },
        { id: "b", tier: "cloud" },
      ],
    });
    await r.done;
    expect(r.f.targets).toEqual(["a", "a", "b"]);
    expect(doneOf(r.events)?.validation).toEqual({ valid: true, attempts: 3, escalated: true });
  });

  it("when nothing validates, the last answer goes out with valid: false and the validator's errors; the earlier ones never do", async () => {
    const r = run([answering(PROSE), answering(WRONG_TYPE), answering('{"city":"Kyoto"}')], {
      providers: [
        { id: "a", tier: "cloud" },
        { id: "b", tier: "cloud" },
      ],
    });
    await r.done;
    expect(r.f.bodies).toHaveLength(3);
    onlyAnswer(r.events, '{"city":"Kyoto"}');
    expect(doneOf(r.events)?.validation).toEqual({ valid: false, attempts: 3, escalated: true, errors: ["(root): must have required property 'days'"] });
    expect(r.validations.at(-1)?.next).toEqual({ action: "give_up" });
    expect(r.failures).toEqual([]);
    expect(r.records[0]).toMatchObject({ outcome: "ok", provider: "b" });
  });

  it("one provider alone: a plain attempt and one constrained retry, then the last answer stands", async () => {
    const r = run([answering(PROSE), answering(WRONG_TYPE), answering(VALID)]);
    await r.done;
    expect(r.f.bodies).toHaveLength(2);
    onlyAnswer(r.events, WRONG_TYPE);
    expect(doneOf(r.events)?.validation).toEqual({ valid: false, attempts: 2, escalated: false, errors: ["/days: must be integer"] });
  });

  it("VALIDATION_MAX_ATTEMPTS bounds the answers checked", async () => {
    const r = run([answering(PROSE)], { validation: { maxAttempts: 1 } });
    await r.done;
    expect(r.f.bodies).toHaveLength(1);
    expect(doneOf(r.events)?.validation).toMatchObject({ valid: false, attempts: 1, escalated: false });
    onlyAnswer(r.events, PROSE);
  });

  it("strict: true and nothing validates: a stream ends with an error event at stage validation, never output.done or any answer", async () => {
    const r = run([answering(PROSE), answering(WRONG_TYPE)], { validation: { maxAttempts: 2 }, req: { passthrough: jsonSchema(true) } });
    await r.done;
    expect(r.failures).toEqual([
      expect.objectContaining({ status: 422, code: "validation_failed", stage: "validation", message: expect.stringContaining("/days: must be integer") }),
    ]);
    expect(r.events.map((e) => e.event)).not.toContain("output.done");
    expect(r.events.map((e) => e.event)).not.toContain("output.delta");
    // The summaries still went out.
    expect(r.events.map((e) => e.event)).toEqual(["summary.prompt", "summary.reasoning"]);
    expect(r.records[0]).toMatchObject({ outcome: "stream_error", errorCode: "validation_failed", validation: { valid: false, attempts: 2 } });
  });

  it("strict: true with stream:false is a 422 validation_failed, with no answer", async () => {
    const f = fakes([], { validation: { maxAttempts: 2 }, scripts: [answering(PROSE)] });
    const { sink, result } = createCollector();
    const run = await runStaged(request({ stream: false, passthrough: jsonSchema(true) }), f.deps, sink, new AbortController().signal);
    expect(run.failure).toMatchObject({ status: 422, code: "validation_failed", type: "invalid_request_error" });
    expect(result.answer).toBe("");
  });

  it("stream:false collects the valid answer and the report", async () => {
    const f = fakes([], { validation: {}, scripts: [answering(PROSE), answering(VALID)] });
    const { sink, result } = createCollector();
    await runStaged(request({ stream: false, passthrough: jsonSchema() }), f.deps, sink, new AbortController().signal);
    expect(result.answer).toBe(VALID);
    expect(result.validation).toEqual({ valid: true, attempts: 2, escalated: false });
  });

  it("a turn that ends in tool calls is not validated: released as it came, no validation in output.done", async () => {
    const r = run([
      [
        delta({ reasoning: "need the weather" }),
        delta({ content: "Checking. " }),
        delta({ toolCalls: [{ index: 0, id: "c1", type: "function", function: { name: "weather", arguments: '{"city":"Kyoto"}' } }] }),
        delta({ finishReason: "tool_calls" }),
      ],
    ]);
    await r.done;
    expect(r.f.bodies).toHaveLength(1);
    expect(r.events.map((e) => e.event)).toEqual(["summary.prompt", "summary.reasoning", "output.delta", "output.tool_calls", "output.done"]);
    expect(doneOf(r.events)).toMatchObject({ finish_reason: "tool_calls" });
    expect(doneOf(r.events)).not.toHaveProperty("validation");
    expect(r.validations).toEqual([]);
  });

  it("a retry that ends in tool calls is released unchecked; the dropped answer still counts toward the cost", async () => {
    const cost = { input_per_mtok: 1_000_000, output_per_mtok: 0 };
    const call = { index: 0, id: "c1", type: "function" as const, function: { name: "weather", arguments: "{}" } };
    const r = run([answering(PROSE), [delta({ toolCalls: [call] }), delta({ finishReason: "tool_calls", usage: { prompt_tokens: 10 } })]], {
      providers: [{ id: "a", tier: "cloud", cost }],
    });
    await r.done;
    expect(r.f.bodies).toHaveLength(2);
    expect(r.events.map((e) => e.event)).toEqual(["summary.prompt", "summary.reasoning", "output.tool_calls", "output.done"]);
    expect(doneOf(r.events)).not.toHaveProperty("validation");
    expect(r.records[0]?.costUsd).toBe(20);
  });

  it("json_object: an answer that is JSON but not an object is retried", async () => {
    const r = run([answering("[1, 2, 3]"), answering('{"ok": true}')], { req: { passthrough: { response_format: { type: "json_object" } } } });
    await r.done;
    onlyAnswer(r.events, '{"ok": true}');
    expect(systemOf(r.f.bodies[1])).toContain("Your answer must be a single JSON object.");
    expect(r.validations[0]?.errors).toEqual(["(root): must be a JSON object"]);
  });

  it.each([
    [
      { type: "json_schema", json_schema: { name: "x", schema: { type: "nope" } } },
      "invalid_json_schema",
      /schema is invalid: data\/type must be equal to one of the allowed values/,
    ],
    [
      { type: "json_schema", json_schema: { name: "x", schema: { $ref: "https://example.com/s.json" } } },
      "invalid_json_schema",
      /can't resolve reference https:\/\/example\.com\/s\.json/,
    ],
    [{ type: "json_schema", json_schema: { name: "x", schema: "object" } }, "invalid_response_format", /json_schema\.schema: must be a JSON Schema/],
    [{ type: "json_schema" }, "invalid_response_format", /json_schema: must be an object/],
    ["json", "invalid_response_format", /response_format: must be an object/],
  ])("a response_format that cannot be checked (%j) is a 400 before any upstream or summary call", async (format, code, message) => {
    const r = run([answering(VALID)], { req: { passthrough: { response_format: format } } });
    await r.done;
    expect(r.failures).toEqual([expect.objectContaining({ status: 400, code, message: expect.stringMatching(message) })]);
    expect(r.f.bodies).toEqual([]);
    expect(r.f.summaries).toEqual([]);
    expect(r.events).toEqual([]);
    expect(r.records[0]).toMatchObject({ outcome: "rejected", httpStatus: 400, errorCode: code });
  });

  it("an answer longer than the bound stops the upstream and counts as invalid", async () => {
    const long = Array.from({ length: 40 }, () => delta({ content: "0123456789" }));
    const r = run([[delta({ reasoning: "r" }), ...long, delta({ finishReason: "stop" })], answering(VALID)], { validation: { maxAnswerChars: 50 } });
    await r.done;
    // Six 10-character deltas fill the 50 and overflow it; the other 34 are never read.
    expect(r.f.pulled()).toBeLessThan(20);
    expect(r.validations[0]?.errors).toEqual(["the answer is longer than 50 characters, the most held for a check"]);
    onlyAnswer(r.events, VALID);
  });

  it("a retry that fails upstream fails over to the next provider; an invalid answer is kept if nothing better comes", async () => {
    const down = new UpstreamError({ kind: "http", status: 503, message: "overloaded", retryable: true });
    const over = run([answering(PROSE), down, answering(VALID)], {
      providers: [
        { id: "box", tier: "local" },
        { id: "cloud", tier: "cloud" },
      ],
      req: { passthrough: jsonSchema(), taskCategory: "routine" },
    });
    await over.done;
    expect(over.f.targets).toEqual(["box", "box", "cloud"]);
    onlyAnswer(over.events, VALID);
    expect(doneOf(over.events)?.validation).toEqual({ valid: true, attempts: 2, escalated: false });

    const alone = run([answering(WRONG_TYPE), down]);
    await alone.done;
    expect(alone.failures).toEqual([]);
    onlyAnswer(alone.events, WRONG_TYPE);
    expect(doneOf(alone.events)?.validation).toEqual({ valid: false, attempts: 1, escalated: false, errors: ["/days: must be integer"] });
  });

  it("the request's cost counts the dropped answers too", async () => {
    const cost = { input_per_mtok: 1_000_000, output_per_mtok: 0 };
    const r = run([answering(PROSE), answering(VALID)], { providers: [{ id: "a", tier: "cloud", cost }] });
    await r.done;
    // 10 prompt tokens per attempt at $1 each.
    expect(r.records[0]?.costUsd).toBe(20);
    expect(r.records[0]?.usage).toMatchObject({ completion_tokens: VALID.length });
  });

  it("without response_format nothing is held: the answer streams as before, with no validation field", async () => {
    const r = run([answering(PROSE)], { req: { passthrough: {} } });
    await r.done;
    onlyAnswer(r.events, PROSE);
    expect(doneOf(r.events)).not.toHaveProperty("validation");
    expect(r.records[0]).not.toHaveProperty("validation");
  });
});
