import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import type { ScriptedChunk } from "../../mock-upstream/script.js";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { chatCalls, useProviderStack } from "../helpers/providers.js";
import { first, postStaged, userMessage } from "../helpers/sse.js";
import { startGateway } from "../helpers/gateway.js";

/*
 * Task routing's third category over real sockets: `safety_critical` goes to cloud providers only
 * (never a local one, not even as a fallback), and its JSON answers are released only when valid.
 */

const stack = useProviderStack();

const YAML = `
providers:
  - { id: box, tier: local, base_url: "{{url:box}}", models: { "*": mock-plain } }
  - { id: cloud, tier: cloud, base_url: "{{url:cloud}}", models: { "*": mock-plain } }
routes:
  - { model: "*", strategy: priority, providers: [box, cloud] }
`;

const answer = (text: string): ScriptedChunk[] => [
  { delta: { role: "assistant", reasoning_content: "Checking the dose table." } },
  { delta: { content: text.slice(0, 5) } },
  { delta: { content: text.slice(5) }, finish_reason: "stop" },
];
const VALID = '{"dose_mg":500}';
const PROSE = "Take 500 mg, twice a day.";

/** A short question: routine by the classifier's rules, so the local provider would come first. */
const ask = (extra: Record<string, unknown> = {}) => ({ model: "dose-llm", messages: userMessage("What dose of paracetamol for an adult?"), ...extra });
const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

async function start(box: ScriptedChunk[] = answer(VALID), cloud: ScriptedChunk[] = answer(VALID), cloudFaults?: Record<string, unknown>, health = "") {
  return stack({ box: { script: box }, cloud: { script: cloud, ...(cloudFaults && { faults: cloudFaults }) } }, YAML + health);
}

describe("safety_critical task routing", () => {
  it("x-task-category: safety_critical goes to the cloud, where a routine request goes local first", async () => {
    const s = await start();
    const routine = await postStaged(s.gateway.url, ask());
    expect(first(routine, "output.done").data.route).toMatchObject({ provider: "box" });
    const safety = await postStaged(s.gateway.url, ask(), { headers: { "x-task-category": "safety_critical" } });
    expect(first(safety, "output.done").data.route).toMatchObject({
      provider: "cloud",
      reason: 'safety_critical (explicit category "safety_critical") → cloud only',
    });
    expect(chatCalls(s.mocks.box!)).toHaveLength(1);
    expect(chatCalls(s.mocks.cloud!)).toHaveLength(1);
  });

  it("metadata.category safety-critical (either spelling) does the same, through the openai SDK", async () => {
    const s = await start();
    const sdk = new OpenAI({ baseURL: `${s.gateway.url}/openai/v1`, apiKey: "unused", maxRetries: 0 });
    const res = await sdk.chat.completions.create({ ...ask(), metadata: { category: "safety-critical" } } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(res.choices[0]?.message.content).toBe(VALID);
    expect(chatCalls(s.mocks.box!)).toHaveLength(0);
    expect(chatCalls(s.mocks.cloud!)).toHaveLength(1);
  });

  it("never falls back to a local provider: with the cloud failing it is a 502, then a 503 once its circuit opens, never a local answer", async () => {
    const s = await start(answer(VALID), answer(VALID), { fail: { status: 503, times: Infinity, target: "all" } }, "health: { consecutive_failures: 1 }\n");
    const res = await post(s.gateway.url, ask({ stream: false }), { "x-task-category": "safety_critical" });
    expect(res.status).toBe(502);
    expect(chatCalls(s.mocks.box!)).toHaveLength(0);
    // Now the cloud's circuit is open: the plan has nobody, and says why.
    const again = await post(s.gateway.url, ask({ stream: false }), { "x-task-category": "safety_critical" });
    expect(again.status).toBe(503);
    expect(((await again.json()) as { error: { message: string } }).error.message).toMatch(/safety_critical work goes to cloud providers only/);
    expect(chatCalls(s.mocks.box!)).toHaveLength(0);
    // The same request without the category still gets an answer from the local box.
    const routine = await post(s.gateway.url, ask({ stream: false }));
    expect(routine.status).toBe(200);
    expect(routine.headers.get("x-gateway-provider")).toBe("box");
  });

  it("JSON asked (json_object): an answer that never validates is not released, and never escalates to a local provider", async () => {
    const s = await start(answer(VALID), answer(PROSE));
    // A complex task escalates from the cloud's invalid answers to the local box's valid one…
    const plain = await post(s.gateway.url, ask({ stream: false, response_format: { type: "json_object" } }), { "x-task-category": "complex" });
    expect(plain.status).toBe(200);
    expect(await plain.json()).toMatchObject({ validation: { valid: true, attempts: 3, escalated: true } });
    expect(chatCalls(s.mocks.box!)).toHaveLength(1);
    // …a safety-critical one stays in the cloud and gets no answer rather than an invalid one.
    const res = await post(s.gateway.url, ask({ stream: false, response_format: { type: "json_object" } }), { "x-task-category": "safety_critical" });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toMatch(/safety_critical/);
    expect(body.error.message).not.toContain("500 mg");
    // Streamed: an error event at stage validation, no answer text, no output.done.
    const streamed = await postStaged(s.gateway.url, ask({ response_format: { type: "json_object" } }), { headers: { "x-task-category": "safety_critical" } });
    expect(streamed.events.map((e) => e.event)).not.toContain("output.delta");
    expect(streamed.events.at(-1)).toMatchObject({ event: "error", data: { stage: "validation", code: "validation_failed" } });
    expect(chatCalls(s.mocks.box!)).toHaveLength(1);
    // And without the category, the cloud's last answer would have gone out marked invalid.
    const cloudOnly = await stack(
      { cloud: { script: answer(PROSE) } },
      `
providers:
  - { id: cloud, tier: cloud, base_url: "{{url:cloud}}", models: { "*": mock-plain } }
routes:
  - { model: "*", providers: [cloud] }
`,
    );
    const released = await post(cloudOnly.gateway.url, ask({ stream: false, response_format: { type: "json_object" } }));
    expect(released.status).toBe(200);
    expect(await released.json()).toMatchObject({ choices: [{ message: { content: PROSE } }], validation: { valid: false } });
  });

  it("a valid JSON answer goes out as usual, with its report", async () => {
    const s = await start(answer(PROSE), answer(VALID));
    const res = await post(s.gateway.url, ask({ stream: false, response_format: { type: "json_object" } }), { "x-task-category": "safety_critical" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ choices: [{ message: { content: VALID } }], validation: { valid: true, attempts: 1 } });
  });

  it("with one upstream (no providers file) the category is still read: an invalid JSON answer is a 422", async () => {
    const mock = await startMockUpstream({ script: answer(PROSE) });
    const gw = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl });
    try {
      const asked = ask({ stream: false, response_format: { type: "json_object" } });
      expect((await post(gw.url, asked)).status).toBe(200);
      expect((await post(gw.url, asked, { "x-task-category": "safety_critical" })).status).toBe(422);
    } finally {
      await gw.close();
      await mock.close();
    }
  });
});
