import OpenAI, { RateLimitError } from "openai";
import { describe, expect, it } from "vitest";
import { useStack } from "../helpers/stack.js";
import { answerOf, postStaged, userMessage } from "../helpers/sse.js";

/*
 * The retry rule over real sockets: the gateway waits what the upstream asked for (retry-after-ms,
 * else Retry-After), nothing added; backoff only when it asked for nothing; a wait longer than
 * the gateway is willing to take goes back to the client at once, with its Retry-After.
 * The backoff is set to 5 s throughout, so a wait that used it would show.
 */

const stack = useStack();
const SLOW_BACKOFF = { UPSTREAM_RETRY_BACKOFF: "5", UPSTREAM_MAX_RETRIES: "3" };
const sdk = (url: string) => new OpenAI({ baseURL: `${url}/openai/v1`, apiKey: "unused", maxRetries: 0 });

const retriesOf = (r: Awaited<ReturnType<typeof postStaged>>) => r.events.filter((e) => e.event === "upstream.retry").map((e) => e.data);
const chatArrivals = (calls: { kind: string; receivedAt: number }[]) => calls.filter((c) => c.kind === "chat").map((c) => c.receivedAt);

describe("retries wait the upstream's delay, not backoff on top of it", () => {
  it("retry-after-ms wins over Retry-After and is waited exactly: two retries of 250 ms, then the answer", async () => {
    const { gateway, mock } = await stack({ faults: { fail: { status: 503, times: 2, retryAfterMs: 250, retryAfterSeconds: 30 } } }, SLOW_BACKOFF);
    const r = await postStaged(gateway.url, { model: "mock-think", messages: userMessage("hi") });
    expect(r.status).toBe(200);
    expect(retriesOf(r)).toEqual([expect.objectContaining({ attempt: 1, delay_ms: 250 }), expect.objectContaining({ attempt: 2, delay_ms: 250 })]);
    expect(answerOf(r)).toBe(mock.mock.options.answerText);
    const [a, b, c] = chatArrivals(mock.mock.calls);
    // The mock and this test share a clock: each retry came after the wait it announced.
    expect(b! - a!).toBeGreaterThanOrEqual(245);
    expect(c! - b!).toBeGreaterThanOrEqual(245);
  });

  it("Retry-After in seconds is the wait when there is no retry-after-ms; no delay at all means backoff", async () => {
    const { gateway } = await stack({ faults: { fail: { status: 429, times: 1, retryAfterSeconds: 1 } } }, SLOW_BACKOFF);
    const r = await postStaged(gateway.url, { model: "mock-think", messages: userMessage("hi") });
    expect(r.status).toBe(200);
    expect(retriesOf(r)).toEqual([expect.objectContaining({ attempt: 1, delay_ms: 1000, code: "rate_limit_exceeded" })]);

    // The server asked for nothing: the backoff decides (0.4 s × jitter 1–2).
    const quick = await stack({ faults: { fail: { status: 503, times: 1 } } }, { UPSTREAM_RETRY_BACKOFF: "0.4" });
    const backoff = await postStaged(quick.gateway.url, { model: "mock-think", messages: userMessage("hi") });
    expect(backoff.status).toBe(200);
    const [retry] = retriesOf(backoff);
    expect(retry?.delay_ms).toBeGreaterThanOrEqual(400);
    expect(retry?.delay_ms).toBeLessThanOrEqual(800);
  });

  it("a Retry-After longer than 60 s is not waited: the client gets the 429 at once, with the upstream's Retry-After", async () => {
    const { gateway, mock } = await stack({ faults: { fail: { status: 429, times: 1, retryAfterSeconds: 120 } } }, { ...SLOW_BACKOFF, REQUEST_TIMEOUT: "300" });
    const err: unknown = await sdk(gateway.url)
      .chat.completions.create({ model: "mock-think", messages: [{ role: "user", content: "hi" }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).headers?.get("retry-after")).toBe("120");
    expect(chatArrivals(mock.mock.calls)).toHaveLength(1);
  });
});
