import { describe, expect, it } from "vitest";
import type { ScriptedChunk } from "../../mock-upstream/script.js";
import { MAX_ANSWER_DEPTH, SCHEMA_LIMITS } from "../../src/validation/index.js";
import { sample } from "../helpers/prom.js";
import { chatCalls, useProviderStack } from "../helpers/providers.js";
import { first, names, postStaged, userMessage } from "../helpers/sse.js";
import { MAX_HEAP_GROWTH_MB, MAX_LOOP_DELAY_MS, watchLoop, type LoopCost } from "./loop-probe.js";

/*
 * A client's response_format schema, and the answer checked against it, must not freeze or kill
 * the gateway. Reproduced before: uniqueItems over a 60k-item answer blocked the event loop 25 s;
 * a 2 KB chain of anyOf-of-two-$refs, 20 deep, stalled it 2.7 s and took 850 MB (21 deep: out of
 * heap); a 5,000-value enum against 100k items stalled 3 s; a recursive schema with a deeply
 * nested answer threw "Maximum call stack size exceeded", reported as 502 upstream_stream_error,
 * failed over and counted against the provider. Each case runs here over real sockets, with the
 * gateway in this process: its event-loop delay and heap growth are measured around the request.
 */

const stack = useProviderStack();
const YAML = `
providers:
  - { id: box, tier: local, base_url: "{{url:box}}", models: { json-llm: mock-plain } }
  - { id: cloud, tier: cloud, base_url: "{{url:cloud}}", models: { json-llm: mock-plain } }
routes:
  - { model: "*", strategy: priority, providers: [box, cloud] }
`;

/** One upstream answer: reasoning in its own field, then the answer in 64 KB pieces. */
const answer = (text: string): ScriptedChunk[] => [
  { delta: { role: "assistant", reasoning_content: "Listing what was asked." } },
  ...Array.from({ length: Math.ceil(text.length / 65_536) }, (_, i) => ({ delta: { content: text.slice(i * 65_536, (i + 1) * 65_536) } })),
  { delta: {}, finish_reason: "stop" },
];

const format = (schema: unknown, strict = false) => ({ type: "json_schema", json_schema: { name: "list", schema, strict } });
const ask = (schema: unknown, extra: Record<string, unknown> = {}) => ({
  model: "json-llm",
  messages: userMessage("List them all."),
  response_format: format(schema),
  ...extra,
});

async function start(text: string, env: Record<string, string> = {}, cloudText = "[]") {
  const s = await stack(
    { box: { scripts: [answer(text)], script: answer(text) }, cloud: { scripts: [answer(cloudText)], script: answer(cloudText) } },
    YAML,
    env,
  );
  const providers = async () => {
    const body = (await (await fetch(`${s.gateway.url}/v1/providers`)).json()) as { providers: { id: string; failures: number; state: string }[] };
    return Object.fromEntries(body.providers.map((p) => [p.id, { failures: p.failures, state: p.state }]));
  };
  return { ...s, providers };
}

/** Run one request and measure what it cost the process the gateway runs in. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; cost: LoopCost }> {
  const watch = watchLoop();
  const result = await work();
  return { result, cost: watch.stop() };
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

function expectCheap(cost: LoopCost): void {
  expect(cost.maxDelayMs).toBeLessThan(MAX_LOOP_DELAY_MS);
  expect(cost.heapGrowthMb).toBeLessThan(MAX_HEAP_GROWTH_MB);
}

/** `anyOf` of two `$ref`s to the next level, `depth` levels deep. */
function refChain(depth: number) {
  const $defs: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) $defs[`n${i}`] = { anyOf: [{ $ref: `#/$defs/n${i + 1}` }, { $ref: `#/$defs/n${i + 1}` }] };
  $defs[`n${depth}`] = { type: "string" };
  return { $ref: "#/$defs/n0", $defs };
}

const UNIQUE_ITEMS = JSON.stringify(Array.from({ length: 60_000 }, (_, i) => ({ i })));

describe("a response_format schema that costs more than a check may", () => {
  it("uniqueItems over a 60k-item answer: stopped at VALIDATION_BUDGET_MS, validation_budget_exceeded on every surface, no failover, the provider untouched", async () => {
    const s = await start(UNIQUE_ITEMS, { VALIDATION_BUDGET_MS: "500" });
    const schema = { type: "array", uniqueItems: true };

    // stream:false: the 422 JSON error.
    const plain = await measured(() => postJson(s.gateway.url, ask(schema, { stream: false })));
    expectCheap(plain.cost);
    expect(plain.result.status).toBe(422);
    expect(plain.result.json.error).toMatchObject({
      type: "invalid_request_error",
      code: "validation_budget_exceeded",
      message: expect.stringContaining("took longer than 500 ms (VALIDATION_BUDGET_MS)"),
    });

    // The staged stream: an error event at stage validation, no answer, no output.done.
    const staged = await measured(() => postStaged(s.gateway.url, ask(schema)));
    expectCheap(staged.cost);
    expect(staged.result.status).toBe(200);
    expect(names(staged.result)).not.toContain("output.delta");
    expect(names(staged.result)).not.toContain("output.done");
    expect(staged.result.events.at(-1)).toMatchObject({ event: "error", data: { stage: "validation", code: "validation_budget_exceeded", retryable: false } });

    // Streamed Responses: response.failed, no text delta.
    const body = { model: "json-llm", input: "List them all.", text: { format: { type: "json_schema", name: "list", schema } }, stream: true };
    const responses = await measured(async () =>
      (
        await fetch(`${s.gateway.url}/openai/v1/responses`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      ).text(),
    );
    expectCheap(responses.cost);
    expect(responses.result).not.toContain("response.output_text.delta");
    const last = responses.result.trim().split("\n\n").at(-1) ?? "";
    expect(last).toMatch(/^event: response\.failed/);
    expect(last).toContain("validation_budget_exceeded");

    // Each answer was checked once: no constrained retry, no escalation, no failover, nobody charged.
    expect(chatCalls(s.mocks.box!)).toHaveLength(3);
    expect(chatCalls(s.mocks.cloud!)).toHaveLength(0);
    expect(await s.providers()).toEqual({ box: { failures: 0, state: "active" }, cloud: { failures: 0, state: "active" } });
    const m = await (await fetch(`${s.gateway.url}/metrics`)).text();
    expect(sample(m, "gateway_requests_total", { model: "json-llm", outcome: "upstream_error", status: "422" })).toBe(1);
  });

  for (const depth of [20, 21]) {
    it(`an anyOf-of-two-$refs chain ${depth} deep (2 KB): 400 schema_too_complex before any upstream call`, async () => {
      const s = await start("[]");
      const { result: r, cost } = await measured(() => postStaged(s.gateway.url, ask(refChain(depth))));
      expectCheap(cost);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        error: {
          type: "invalid_request_error",
          code: "schema_too_complex",
          message: expect.stringContaining(`expands to more than ${SCHEMA_LIMITS.maxExpandedSubschemas} subschemas`),
        },
      });
      expect(s.mocks.box!.mock.calls).toEqual([]);
      expect(s.mocks.cloud!.mock.calls).toEqual([]);
    });
  }

  it("a 5,000-value enum against 100k items: 400 schema_too_complex naming the enum bound, before any upstream call", async () => {
    const s = await start(JSON.stringify(Array.from({ length: 100_000 }, () => "zz")));
    const schema = { type: "array", items: { enum: Array.from({ length: 5_000 }, (_, i) => `v${i}`) } };
    const { result: r, cost } = await measured(() => postStaged(s.gateway.url, ask(schema)));
    expectCheap(cost);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      error: { code: "schema_too_complex", message: expect.stringContaining(`at most ${SCHEMA_LIMITS.maxEnumValues} are allowed`) },
    });
    expect(s.mocks.box!.mock.calls).toEqual([]);
  });

  it("a 1,000-value enum (allowed) against 100k items is checked off the event loop: the loop never stalls, the answer is judged", async () => {
    // Both tiers give the same invalid answer: an escalation to a valid cloud answer would hide the verdict.
    const items = JSON.stringify(Array.from({ length: 100_000 }, () => "zz"));
    const s = await start(items, {}, items);
    const schema = { type: "array", items: { enum: Array.from({ length: SCHEMA_LIMITS.maxEnumValues }, (_, i) => `v${i}`) } };
    const { result: r, cost } = await measured(() => postJson(s.gateway.url, ask(schema, { stream: false })));
    expectCheap(cost);
    // Within the budget it is an invalid answer, past it the budget's 422: never a provider failure.
    if (r.status === 200) expect(r.json.validation).toMatchObject({ valid: false });
    else expect(r).toMatchObject({ status: 422, json: { error: { code: "validation_budget_exceeded" } } });
    expect((await s.providers()).box).toEqual({ failures: 0, state: "active" });
  });

  it(`a recursive schema and an answer nested 100,000 deep: an invalid answer (deeper than ${MAX_ANSWER_DEPTH} levels), never a 502, no provider charged`, async () => {
    const tree = { $ref: "#/$defs/t", $defs: { t: { type: "array", items: { $ref: "#/$defs/t" } } } };
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const s = await start(deep, {}, deep);
    const { result: r, cost } = await measured(() => postStaged(s.gateway.url, ask(tree)));
    expectCheap(cost);
    expect(r.status).toBe(200);
    expect(first(r, "output.done").data.validation).toEqual({
      valid: false,
      attempts: 3,
      escalated: true,
      errors: [`the answer nests deeper than ${MAX_ANSWER_DEPTH} levels, the most checked`],
    });
    expect(await s.providers()).toEqual({ box: { failures: 0, state: "active" }, cloud: { failures: 0, state: "active" } });
  });

  it("a recursive schema still checks a reasonable recursive answer as valid", async () => {
    const tree = { $ref: "#/$defs/t", $defs: { t: { type: "array", items: { $ref: "#/$defs/t" } } } };
    const s = await start(`${"[".repeat(40)}[],[]${"]".repeat(40)}`);
    const r = await postStaged(s.gateway.url, ask(tree));
    expect(first(r, "output.done").data.validation).toEqual({ valid: true, attempts: 1, escalated: false });
  });
});
