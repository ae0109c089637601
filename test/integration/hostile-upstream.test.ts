import { describe, expect, it } from "vitest";
import { DEFAULT_ANSWER_TEXT, type HostileMode } from "../../mock-upstream/index.js";
import { noopObserver } from "../../src/events/index.js";
import { chatCalls, useProviderStack } from "../helpers/providers.js";
import { answerOf, first, postStaged, userMessage, type StagedResult } from "../helpers/sse.js";

const stack = useProviderStack();
const body = { model: "mock-reasoning_content", messages: userMessage("Why is the sky blue? Keep it short. Thanks.") };

/** The failure's code, whether it came as a JSON error (nothing sent yet) or as an `error` event. */
function failureCode(r: StagedResult): unknown {
  const json = r.json as { error?: { code?: string } } | undefined;
  return json?.error?.code ?? r.events.find((e) => e.event === "error")?.data.code;
}

async function providerCounts(url: string) {
  const body = (await (await fetch(`${url}/v1/providers`)).json()) as { providers: { id: string; failures: number; successes: number }[] };
  return Object.fromEntries(body.providers.map((p) => [p.id, { failures: p.failures, successes: p.successes }]));
}

const LINE_CAP = 65_536;

describe("an upstream line that never ends", () => {
  it.each([
    ["openai (SSE)", `  - id: bad\n    base_url: "{{url:bad}}"\n`],
    ["ollama (NDJSON)", `  - id: bad\n    kind: ollama\n    base_url: "{{root:bad}}"\n`],
  ])("%s: the stream ends with upstream_line_too_long after reading about the cap, not the whole line", async (_name, provider) => {
    const { gateway, mocks } = await stack(
      { bad: { faults: { hostile: "endless_line" } } },
      `providers:\n${provider}routes:\n  - model: "*"\n    providers: [bad]\n`,
      { UPSTREAM_MAX_LINE_BYTES: String(LINE_CAP) },
    );
    const heapBefore = process.memoryUsage().heapUsed;
    const r = await postStaged(gateway.url, body, { signal: AbortSignal.timeout(20_000) });
    expect(failureCode(r)).toBe("upstream_line_too_long");
    const mock = mocks.bad!.mock;
    await mock.waitFor((calls) => calls.find((c) => c.kind === "chat")?.outcome === "aborted", 5000);
    // What the mock managed to hand over before the gateway hung up: the cap plus socket buffers,
    // where an unbounded reader would have taken everything it was given.
    const sent = chatCalls(mocks.bad!)[0]!.bytesSent ?? 0;
    expect(sent).toBeGreaterThan(LINE_CAP);
    expect(sent).toBeLessThan(16 * 1024 * 1024);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });
});

describe("a 200 that is not an event stream", () => {
  const cases: [HostileMode, string][] = [
    ["html", "upstream_not_event_stream"],
    ["json", "upstream_not_event_stream"],
    ["gzip", "upstream_bad_encoding"],
  ];

  it.each(cases)("%s: a provider failure with code %s (JSON 502 when nothing was sent yet), never an empty success", async (mode, code) => {
    const { gateway, mocks } = await stack(
      { bad: { latency: { promptSummaryMs: 1500 }, faults: { hostile: mode } } },
      `providers:\n  - id: bad\n    base_url: "{{url:bad}}"\nroutes:\n  - model: "*"\n    providers: [bad]\n`,
    );
    const r = await postStaged(gateway.url, body);
    expect(r.status).toBe(502);
    expect(r.json).toMatchObject({ error: { code } });
    // Judged from the headers: one call, not retried (the same server would answer the same).
    expect(chatCalls(mocks.bad!)).toHaveLength(1);
    expect((await providerCounts(gateway.url)).bad).toEqual({ failures: 1, successes: 0 });
  });

  it.each(cases)("%s: fails over to the next provider unseen, and counts against the one that sent it", async (mode, code) => {
    const failovers: { from: string; to: string; reason: string }[] = [];
    const { gateway } = await stack(
      { bad: { faults: { hostile: mode } }, good: {} },
      `providers:\n  - id: bad\n    base_url: "{{url:bad}}"\n    priority: 1\n  - id: good\n    base_url: "{{url:good}}"\n    priority: 2\nroutes:\n  - model: "*"\n    strategy: priority\n    providers: [bad, good]\n`,
      {},
      { observer: { ...noopObserver, failover: (f) => failovers.push(f) } },
    );
    const r = await postStaged(gateway.url, body);
    expect(r.status).toBe(200);
    expect(answerOf(r)).toBe(DEFAULT_ANSWER_TEXT);
    expect(first(r, "output.done").data.route).toMatchObject({ provider: "good", attempts: 2 });
    const counts = await providerCounts(gateway.url);
    expect(counts.bad!.failures).toBe(1);
    expect(counts.good!.successes).toBeGreaterThanOrEqual(1);
    expect(failovers).toEqual([expect.objectContaining({ from: "bad", to: "good", reason: code })]);
  });
});
