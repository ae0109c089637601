import { describe, expect, it } from "vitest";
import { answerOf, first, names, postStaged, stagedOrder, userMessage } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";
import { SETTLE_MS } from "../helpers/bounds.js";

const stack = useStack();
const PROMPT = "Why do cats purr when they are happy? Please keep it short. Thanks a lot.";
const body = (model = "mock-tagged") => ({ model, messages: userMessage(PROMPT) });
const streamCalls = (m: { calls: { kind: string }[] }) => m.calls.filter((c) => c.kind === "chat").length;

describe("summary fallbacks", () => {
  it("a failed prompt summary gives an error event and a sentence fallback; the answer still streams", async () => {
    const { gateway } = await stack({ faults: { fail: { status: 500, times: Infinity, target: "prompt_summary" } } }, { UPSTREAM_MAX_RETRIES: "1" });
    const r = await postStaged(gateway.url, body());
    expect(first(r, "error").data).toMatchObject({ stage: "prompt_summary", retryable: true });
    expect(first(r, "summary.prompt").data).toMatchObject({ source: "fallback", text: "Why do cats purr when they are happy? Please keep it short." });
    expect(stagedOrder(r)).toEqual(["summary.prompt", "summary.reasoning", "output.delta", "output.done"]);
    expect(names(r).indexOf("error")).toBeLessThan(names(r).indexOf("summary.prompt"));
  });

  it("a failed reasoning summary falls back to the reasoning's first sentences", async () => {
    const reasoningText = "First I recall what purring is. Then I connect it to mood. Finally I conclude.";
    const { gateway } = await stack(
      { reasoningText, faults: { fail: { status: 503, times: Infinity, target: "reasoning_summary" } } },
      { UPSTREAM_MAX_RETRIES: "0" },
    );
    const r = await postStaged(gateway.url, body());
    expect(first(r, "error").data).toMatchObject({ stage: "reasoning_summary" });
    expect(first(r, "summary.reasoning").data).toMatchObject({ source: "fallback", text: "First I recall what purring is. Then I connect it to mood." });
    expect(first(r, "output.done")).toBeTruthy();
  });

  it("SUMMARY_TIMEOUT bounds a summary that never answers, and the call is cancelled", async () => {
    const { gateway, mock } = await stack({ faults: { stallSummaries: "both" } }, { SUMMARY_TIMEOUT: "0.3" });
    const r = await postStaged(gateway.url, body());
    const errors = r.events.filter((e) => e.event === "error").map((e) => e.data);
    expect(errors).toEqual([
      expect.objectContaining({ stage: "prompt_summary", code: "summary_timeout" }),
      expect.objectContaining({ stage: "reasoning_summary", code: "summary_timeout" }),
    ]);
    expect(first(r, "summary.reasoning").data.source).toBe("fallback");
    expect(answerOf(r).length).toBeGreaterThan(0);
    await mock.mock.waitFor((calls) => calls.filter((c) => c.kind !== "chat").every((c) => c.outcome === "aborted"), SETTLE_MS);
  });
});

describe("retries before the first byte", () => {
  it("retries a warming-up upstream (503 twice) and then streams", async () => {
    const { gateway, mock } = await stack({ faults: { fail: { status: 503, times: 2 } } });
    const r = await postStaged(gateway.url, body());
    expect(stagedOrder(r)).toContain("output.done");
    expect(streamCalls(mock.mock)).toBe(3);
  });

  it("honours Retry-After on 429", async () => {
    const { gateway, mock } = await stack({ faults: { fail: { status: 429, times: 1, retryAfterSeconds: 0.3 } } });
    const started = performance.now();
    const r = await postStaged(gateway.url, body());
    expect(r.status).toBe(200);
    expect(streamCalls(mock.mock)).toBe(2);
    const [a, b] = mock.mock.calls.filter((c) => c.kind === "chat");
    expect(b!.receivedAt - a!.receivedAt).toBeGreaterThanOrEqual(290);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("gives up after UPSTREAM_MAX_RETRIES with a 502 JSON error when nothing was sent yet", async () => {
    const { gateway, mock } = await stack(
      { latency: { promptSummaryMs: 2000 }, faults: { fail: { status: 500, times: Infinity, message: "engine exploded" } } },
      { UPSTREAM_MAX_RETRIES: "2" },
    );
    const r = await postStaged(gateway.url, body());
    expect(r.status).toBe(502);
    expect(r.json).toMatchObject({ error: { message: "engine exploded", code: expect.any(String), type: expect.any(String) } });
    expect(streamCalls(mock.mock)).toBe(3);
  });

  it("passes an upstream 4xx through with its message, without retrying", async () => {
    const { gateway, mock } = await stack({
      latency: { promptSummaryMs: 2000 },
      faults: { fail: { status: 400, times: 1, message: "model mock-x does not exist" } },
    });
    const r = await postStaged(gateway.url, body());
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: { message: "model mock-x does not exist" } });
    expect(streamCalls(mock.mock)).toBe(1);
  });

  it("answers 502 when the upstream is unreachable", async () => {
    const { gateway } = await stack({}, { UPSTREAM_BASE_URL: "http://127.0.0.1:9", UPSTREAM_MAX_RETRIES: "1" });
    const r = await postStaged(gateway.url, body());
    expect(r.status).toBe(502);
    expect(r.json).toMatchObject({ error: { code: "upstream_unreachable" } });
  });
});

describe("failures after the stream began", () => {
  it("a connection dropped mid-stream is an error event, the stream ends cleanly, and it is never replayed", async () => {
    const { gateway, mock } = await stack({ faults: { dropAfterChunks: 4 } });
    const r = await postStaged(gateway.url, body());
    expect(r.status).toBe(200);
    expect(r.events.at(-1)).toMatchObject({ event: "error", data: { stage: "upstream", retryable: false } });
    expect(names(r)).not.toContain("output.done");
    expect(streamCalls(mock.mock)).toBe(1);
  });

  it("an error object inside the stream becomes an error event carrying the upstream's message", async () => {
    const { gateway } = await stack({ faults: { errorAfterChunks: 3 } });
    const r = await postStaged(gateway.url, body());
    expect(r.events.at(-1)).toMatchObject({ event: "error", data: { stage: "upstream", message: "mock in-stream failure", code: "mock_error" } });
    expect(names(r)).not.toContain("output.done");
  });

  it('finish_reason "error" ends the stream with an error event', async () => {
    const { gateway } = await stack({ faults: { finishErrorAfterChunks: 3 } });
    const r = await postStaged(gateway.url, body());
    expect(r.events.at(-1)).toMatchObject({ event: "error", data: { stage: "upstream" } });
    expect(names(r)).not.toContain("output.done");
  });

  it("REQUEST_TIMEOUT bounds silence between chunks, and the stalled call is cancelled", async () => {
    const { gateway, mock } = await stack({ faults: { stallAfterChunks: 3 } }, { REQUEST_TIMEOUT: "0.4" });
    const r = await postStaged(gateway.url, body());
    expect(r.events.at(-1)).toMatchObject({ event: "error", data: { stage: "upstream", code: "upstream_timeout" } });
    await mock.mock.waitFor((calls) => calls.find((c) => c.kind === "chat")?.outcome === "aborted", SETTLE_MS);
  });

  it("REQUEST_TIMEOUT bounds the wait for headers: 504 when nothing was sent yet", async () => {
    const { gateway } = await stack({ latency: { headersMs: 3000, promptSummaryMs: 3000 } }, { REQUEST_TIMEOUT: "0.3", SUMMARY_TIMEOUT: "5" });
    const r = await postStaged(gateway.url, body());
    expect(r.status).toBe(504);
    expect(r.json).toMatchObject({ error: { code: "upstream_timeout" } });
  });
});

describe("client disconnect", () => {
  it("cancels the upstream stream and both summary calls at once", async () => {
    const { gateway, mock } = await stack({ latency: { reasoningChunkMs: 50, promptSummaryMs: 5000 } });
    const ac = new AbortController();
    const pending = postStaged(gateway.url, body(), { signal: ac.signal }).catch(() => undefined);
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.chunksSent > 2), SETTLE_MS);
    ac.abort();
    await pending;
    await mock.mock.waitFor((calls) => calls.length >= 2 && calls.every((c) => c.outcome === "aborted"), SETTLE_MS);
  });

  it("cancels the reasoning summary in flight", async () => {
    const { gateway, mock } = await stack({ faults: { stallSummaries: "reasoning" } }, { SUMMARY_TIMEOUT: "30" });
    const ac = new AbortController();
    const pending = postStaged(gateway.url, body(), { signal: ac.signal }).catch(() => undefined);
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "reasoning_summary"), SETTLE_MS);
    ac.abort();
    await pending;
    await mock.mock.waitFor((calls) => calls.find((c) => c.kind === "reasoning_summary")?.outcome === "aborted", SETTLE_MS);
  });
});
