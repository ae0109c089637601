import OpenAI, { InternalServerError } from "openai";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { chatCalls, useProviderStack } from "../helpers/providers.js";
import { find, parseProm } from "../helpers/prom.js";
import { startGateway } from "../helpers/gateway.js";
import { useStack } from "../helpers/stack.js";
import { answerOf, first, postStaged, userMessage } from "../helpers/sse.js";

/*
 * Native streams that end badly, over real sockets: a cut stream is never delivered as a
 * complete answer, and a transient error mid-stream is said to be worth retrying.
 */

const stack = useProviderStack();
const single = useStack();
const ENV = { ANTHROPIC_KEY: "sk-ant-test", GEMINI_KEY: "gm-test" };
const sdk = (url: string) => new OpenAI({ baseURL: `${url}/openai/v1`, apiKey: "unused", maxRetries: 0 });
const PROMPT = userMessage("Why is the sky blue? Two sentences, please.");

const only = (kind: "anthropic" | "gemini", extra = "") => `providers:
  - id: p
    kind: ${kind}
    base_url: "{{root:p}}"
    api_key_env: ${kind === "anthropic" ? "ANTHROPIC_KEY\n    thinking_budget: 1024" : "GEMINI_KEY"}
${extra}routes:
  - model: "*"
    providers: [p${extra === "" ? "" : ", backup"}]
`;
const backup = `  - id: backup
    base_url: "{{url:backup}}"
`;

describe("a Gemini stream that ends without any finishReason", () => {
  it("is upstream_truncated, not a complete answer: an error event on the staged stream, a 502 for a stream:false client", async () => {
    const { gateway } = await stack({ p: { faults: { omitDone: true }, latency: { answerChunkMs: 20 } } }, only("gemini"), ENV);
    const r = await postStaged(gateway.url, { model: "gemini-mock", messages: PROMPT });
    const names = r.events.map((e) => e.event);
    expect(names).not.toContain("output.done");
    expect(r.events.at(-1)).toMatchObject({ event: "error", data: { stage: "upstream", code: "upstream_truncated" } });

    const err: unknown = await sdk(gateway.url)
      .chat.completions.create({ model: "gemini-mock", messages: [{ role: "user", content: "Why is the sky blue? Two sentences, please." }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toMatchObject({ status: 502, code: "upstream_truncated" });
  });
});

describe("an Anthropic overloaded_error inside the stream", () => {
  it("after the answer began: the error event says it is retryable", async () => {
    const reasoningText = "Short reasoning. It ends.";
    const answerText = "One two three four five six seven eight nine ten eleven twelve.";
    // message_start, ping, thinking start, its deltas, signature, stop, text start: then six answer pieces.
    const before = Math.ceil(reasoningText.length / 6) + 6;
    const { gateway } = await stack(
      { p: { reasoningText, answerText, chunkChars: 6, latency: { answerChunkMs: 40 }, faults: { errorAfterChunks: before + 6 } } },
      only("anthropic"),
      ENV,
    );
    const r = await postStaged(gateway.url, { model: "claude-mock", messages: PROMPT });
    expect(r.status).toBe(200);
    expect(r.events.map((e) => e.event)).toContain("output.delta");
    expect(r.events.at(-1)).toMatchObject({ event: "error", data: { stage: "upstream", code: "overloaded_error", retryable: true } });
    expect(answerText.startsWith(answerOf(r))).toBe(true);
  });

  it("before any answer: the request fails over to the next provider unseen", async () => {
    const reasoningText = "A long think. ".repeat(10);
    const { gateway, mocks } = await stack(
      { p: { reasoningText, chunkChars: 6, faults: { errorAfterChunks: 5 } }, backup: {} },
      only("anthropic", backup),
      ENV,
    );
    const r = await postStaged(gateway.url, { model: "claude-mock", messages: PROMPT });
    expect(r.status).toBe(200);
    expect(r.events.map((e) => e.event)).not.toContain("error");
    expect(first(r, "output.done").data).toMatchObject({ route: { provider: "backup" } });
    expect(answerOf(r)).toBe(mocks.backup!.mock.options.answerText);
    expect(chatCalls(mocks.backup!)).toHaveLength(1);
  });
});

describe("a model the gateway does not recognise, answering R1-style with a lone </think>", () => {
  const REASONING = "The user asks why the sky is blue. Rayleigh scattering favours short wavelengths.";
  const ANSWER = "The sky is blue because air scatters blue light most.";

  it("streams its reasoning to the user as documented, and says so: one warning per model and a counter per stream", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "warn", base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    // The stack's own gateway has no logger to read; these two share its mock.
    const { mock } = await single({ scenario: "r1", reasoningText: REASONING, answerText: ANSWER, chunkChars: 7 });
    const gw = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl }, { logger });
    try {
      for (let i = 0; i < 2; i++) {
        const r = await postStaged(gw.url, { model: "house-model", messages: PROMPT });
        expect(r.status).toBe(200);
        // The documented choice: untagged content is the answer, verbatim.
        expect(answerOf(r)).toBe(`${REASONING}\n</think>\n\n${ANSWER}`);
      }
      const metrics = parseProm(await (await fetch(`${gw.url}/metrics`)).text());
      expect(find(metrics, "gateway_unrecognised_reasoning_total", { model: "house-model" }).map((s) => s.value)).toEqual([2]);
      const warnings = lines.filter((l) => l.model === "house-model" && String(l.msg).includes("lone </think>"));
      expect(warnings).toEqual([expect.objectContaining({ level: 40, setting: "MODEL_CAPABILITIES=house-model=think" })]);
    } finally {
      await gw.close();
    }

    // With the capability set, the reasoning is read as reasoning, and nothing is counted.
    const fixed = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, MODEL_CAPABILITIES: "house-model=think" });
    try {
      const r = await postStaged(fixed.url, { model: "house-model", messages: PROMPT });
      expect(answerOf(r)).toBe(ANSWER);
      const metrics = parseProm(await (await fetch(`${fixed.url}/metrics`)).text());
      expect(find(metrics, "gateway_unrecognised_reasoning_total")).toEqual([]);
    } finally {
      await fixed.close();
    }
  });
});
