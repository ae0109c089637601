/**
 * Every count true: the request record (what the request log, the dashboard and the log line
 * show) counts the upstream calls the mock actually saw — first tries, retries, failovers — and
 * records the status the client actually got, in the one outcome vocabulary `/metrics` uses too.
 */
import { describe, expect, it } from "vitest";
import { noopObserver, type RequestRecord } from "../../src/events/index.js";
import { sample } from "../helpers/prom.js";
import { chatCalls, useProviderStack } from "../helpers/providers.js";
import { first, postStaged, userMessage } from "../helpers/sse.js";

const stack = useProviderStack();
const ask = { model: "reasoning-llm", messages: userMessage("What is the boiling point of water at sea level?") };
const one = `
providers:
  - { id: alpha, base_url: "{{url:alpha}}", models: { reasoning-llm: mock-tagged } }
routes:
  - { model: "*", strategy: priority, providers: [alpha] }
`;
const two = `
providers:
  - { id: alpha, base_url: "{{url:alpha}}", priority: 1, models: { reasoning-llm: mock-tagged } }
  - { id: beta, base_url: "{{url:beta}}", priority: 2, models: { reasoning-llm: mock-tagged } }
routes:
  - { model: "*", strategy: priority, providers: [alpha, beta] }
`;

/** The gateway's records, as the request log receives them. */
function recorder() {
  const records: RequestRecord[] = [];
  return { records, observer: { ...noopObserver, finished: (r: RequestRecord) => void records.push(r) } };
}

describe("the request record counts calls, not guesses", () => {
  it("three retries on one provider: 4 calls at the mock, retries 3, failovers 0, route.attempts 4", async () => {
    const rec = recorder();
    const { gateway, mocks } = await stack(
      { alpha: { faults: { fail: { status: 503, times: 3 } } } },
      one,
      { UPSTREAM_MAX_RETRIES: "3" },
      { observer: rec.observer },
    );
    const r = await postStaged(gateway.url, ask);
    expect(r.status).toBe(200);
    expect(chatCalls(mocks.alpha!)).toHaveLength(4);
    expect(first(r, "output.done").data.route).toMatchObject({ provider: "alpha", attempts: 4 });
    await expect.poll(() => rec.records.length).toBe(1);
    expect(rec.records[0]).toMatchObject({ outcome: "ok", httpStatus: 200, retries: 3, failovers: 0, route: { attempts: 4 } });
  });

  it("a failover: 2 calls, failovers 1, retries 0, route.attempts 2", async () => {
    const rec = recorder();
    const { gateway, mocks } = await stack(
      { alpha: { faults: { fail: { status: 500, times: Infinity, target: "all" } } }, beta: {} },
      two,
      {},
      { observer: rec.observer },
    );
    const r = await postStaged(gateway.url, ask);
    expect(first(r, "output.done").data.route).toMatchObject({ provider: "beta", attempts: 2 });
    expect(chatCalls(mocks.alpha!).length + chatCalls(mocks.beta!).length).toBe(2);
    await expect.poll(() => rec.records.length).toBe(1);
    expect(rec.records[0]).toMatchObject({ retries: 0, failovers: 1, route: { provider: "beta", attempts: 2 } });
  });

  it("a stream that breaks after it began: one call, retries 0, stream_error with the 200 the client got", async () => {
    const rec = recorder();
    const answerText = Array.from({ length: 12 }, (_, i) => `Sentence ${i} of the answer.`).join(" ");
    const { gateway, mocks } = await stack(
      { alpha: { reasoningText: "Short.", answerText, faults: { dropAfterChunks: 10 } } },
      one,
      {},
      { observer: rec.observer },
    );
    const r = await postStaged(gateway.url, ask);
    expect(r.status).toBe(200);
    expect(r.events.at(-1)?.event).toBe("error");
    expect(chatCalls(mocks.alpha!)).toHaveLength(1);
    await expect.poll(() => rec.records.length).toBe(1);
    expect(rec.records[0]).toMatchObject({ outcome: "stream_error", httpStatus: 200, retries: 0, failovers: 0, route: { attempts: 1 } });
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(sample(metrics, "gateway_requests_total", { outcome: "stream_error", status: "200", provider: "alpha" })).toBe(1);
  });

  it("a client that leaves after its 200 is client_closed with status 200, in the record and in /metrics", async () => {
    const rec = recorder();
    const { gateway, mocks } = await stack({ alpha: { latency: { reasoningChunkMs: 100 } } }, one, {}, { observer: rec.observer });
    const drop = new AbortController();
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ask),
      signal: drop.signal,
    });
    expect(res.status).toBe(200);
    drop.abort();
    await mocks.alpha!.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.outcome === "aborted"));
    await expect.poll(() => rec.records.length).toBe(1);
    expect(rec.records[0]).toMatchObject({ outcome: "client_closed", httpStatus: 200 });
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(sample(metrics, "gateway_requests_total", { outcome: "client_closed", status: "200" })).toBe(1);
  });

  it("a stream:false request the upstream refuses is counted once, as upstream_error with its status — not also as a rejection", async () => {
    const rec = recorder();
    const { gateway } = await stack(
      { alpha: { faults: { fail: { status: 400, times: 1, message: "unsupported parameter" } } } },
      one,
      {},
      { observer: rec.observer },
    );
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...ask, stream: false }),
    });
    expect(res.status).toBe(400);
    await expect.poll(() => rec.records.length).toBe(1);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(sample(metrics, "gateway_requests_total", { outcome: "upstream_error", status: "400" })).toBe(1);
    expect(sample(metrics, "gateway_requests_total", { outcome: "rejected" })).toBeUndefined();
    expect(rec.records).toHaveLength(1);
  });
});
