import { describe, expect, it } from "vitest";
import type { HostileMode } from "../../mock-upstream/index.js";
import { DEFAULT_OUTPUT_BOUNDS, type ProviderKind } from "../../src/upstream/index.js";
import { chatCalls, useProviderStack } from "../helpers/providers.js";
import { names, postStaged, userMessage } from "../helpers/sse.js";
import { MAX_HEAP_GROWTH_MB, watchLoop } from "./loop-probe.js";

/*
 * An upstream that will not stop — a new tool call every line, one call whose arguments never
 * end, answer text without end — is cut at the output bounds with 502 upstream_output_too_large,
 * a failure of that provider. Before, nothing but REQUEST_DEADLINE (30 min) bounded it, and a
 * `stream: false` request held all of it: Ollama took the heap from 76 to 965 MB in 30 s.
 */

const stack = useProviderStack();
const ENV = { ANTHROPIC_KEY: "sk-ant-test", GEMINI_KEY: "gm-test" };
const KEYS: Partial<Record<ProviderKind, string>> = { anthropic: "    api_key_env: ANTHROPIC_KEY\n", gemini: "    api_key_env: GEMINI_KEY\n" };

const yaml = (kind: ProviderKind) =>
  `providers:\n  - id: p\n    kind: ${kind}\n    base_url: "${kind === "openai" ? "{{url:p}}" : "{{root:p}}"}"\n${KEYS[kind] ?? ""}routes:\n  - model: "*"\n    providers: [p]\n`;

const ask = (stream: boolean) => ({
  model: "any-model",
  messages: userMessage("Look it up."),
  tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
  stream,
});

async function failures(url: string): Promise<number> {
  const body = (await (await fetch(`${url}/v1/providers`)).json()) as { providers: { id: string; failures: number }[] };
  return body.providers.find((p) => p.id === "p")?.failures ?? -1;
}

const cases: [ProviderKind, HostileMode, RegExp][] = [
  ["openai", "endless_tool_calls", /more than 128 tool calls/],
  ["openai", "endless_tool_arguments", /arguments passed 4194304 characters/],
  ["openai", "endless_answer", /passed 8388608 characters/],
  ["anthropic", "endless_tool_calls", /more than 128 tool calls/],
  ["anthropic", "endless_tool_arguments", /arguments passed 4194304 characters/],
  ["gemini", "endless_tool_calls", /more than 128 tool calls/],
  ["ollama", "endless_tool_calls", /more than 128 tool calls/],
];

describe("a runaway upstream, stream:false", () => {
  it.each(cases)("%s %s: 502 upstream_output_too_large, the upstream hung up on, the provider charged, the heap bounded", async (kind, mode, message) => {
    const { gateway, mocks } = await stack({ p: { faults: { hostile: mode } } }, yaml(kind), ENV);
    const watch = watchLoop();
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ask(false)),
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await res.json()) as { error: { code: string; message: string } };
    const cost = watch.stop();
    expect(res.status).toBe(502);
    expect(body.error).toMatchObject({ code: "upstream_output_too_large", message: expect.stringMatching(message) });
    await mocks.p!.mock.waitFor((calls) => calls.find((c) => c.kind === "chat")?.outcome === "aborted", 10_000);
    // Read up to the bound, not on until the deadline.
    expect(chatCalls(mocks.p!)[0]!.bytesSent ?? 0).toBeLessThan(4 * DEFAULT_OUTPUT_BOUNDS.maxOutputChars);
    expect(await failures(gateway.url)).toBe(1);
    expect(cost.heapGrowthMb).toBeLessThan(MAX_HEAP_GROWTH_MB);
  });
});

describe("a runaway upstream, streamed", () => {
  it("staged SSE: tool calls flow, then an error event upstream_output_too_large ends the stream", async () => {
    const { gateway } = await stack({ p: { faults: { hostile: "endless_tool_calls" } } }, yaml("ollama"), ENV);
    const r = await postStaged(gateway.url, ask(true), { signal: AbortSignal.timeout(60_000) });
    expect(r.status).toBe(200);
    expect(names(r)).toContain("output.tool_calls");
    expect(names(r)).not.toContain("output.done");
    expect(r.events.at(-1)).toMatchObject({ event: "error", data: { code: "upstream_output_too_large" } });
    const calls = r.events.filter((e) => e.event === "output.tool_calls").flatMap((e) => e.data.tool_calls as unknown[]);
    expect(calls).toHaveLength(DEFAULT_OUTPUT_BOUNDS.maxToolCalls);
  });

  it("Responses, streamed: endless answer text ends in response.failed, not in a response object of unbounded size", async () => {
    const { gateway } = await stack({ p: { faults: { hostile: "endless_answer" } } }, yaml("openai"), ENV);
    const watch = watchLoop();
    const res = await fetch(`${gateway.url}/openai/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "any-model", input: "Go on.", stream: true }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    const cost = watch.stop();
    expect(res.status).toBe(200);
    const last = text.trim().split("\n\n").at(-1) ?? "";
    expect(last).toMatch(/^event: (response\.failed|error)/);
    expect(last).toContain("upstream_output_too_large");
    expect(cost.heapGrowthMb).toBeLessThan(MAX_HEAP_GROWTH_MB);
  });
});
