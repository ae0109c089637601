/**
 * When a streamed request's failure is an HTTP status: until the upstream has accepted the
 * request, nothing commits the response — not the prompt summary, not the gateway's own retries,
 * however long they take — so a refusal reaches every client as its status with Retry-After,
 * and SDK retry logic can act on it. After the upstream accepted, a failure is in-stream.
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { names, postStaged, userMessage } from "../helpers/sse.js";
import { useStack } from "../helpers/stack.js";

const stack = useStack();

/** Retries that outlast the prompt summary many times over: 2 retries, each waiting Retry-After 1 s. */
const SLOW_RETRIES = { UPSTREAM_MAX_RETRIES: "2", UPSTREAM_RETRY_BACKOFF: "0.05" };

describe("the status rule on streamed requests", () => {
  it("an upstream that keeps answering 429 is the client's 429 with Retry-After, though the prompt summary was ready long before", async () => {
    const { gateway, mock } = await stack({ faults: { fail: { status: 429, times: Infinity, message: "slow down", retryAfterSeconds: 1 } } }, SLOW_RETRIES);
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "mock-think", messages: userMessage("hi") }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ error: { message: "slow down", type: "rate_limit_error" } });
    // Every attempt was made: the first call and both retries.
    expect(mock.mock.calls.filter((c) => c.kind === "chat")).toHaveLength(3);
    // The prompt summary was asked for (and answered) while the upstream refused.
    expect(mock.mock.calls.some((c) => c.kind === "prompt_summary" && c.outcome === "completed")).toBe(true);
  });

  it("the openai SDK sees a RateLimitError with its status on a streamed call, on the OpenAI surface too", async () => {
    const { gateway } = await stack({ faults: { fail: { status: 429, times: Infinity, message: "slow down", retryAfterSeconds: 1 } } }, SLOW_RETRIES);
    const client = new OpenAI({ apiKey: "unused", baseURL: `${gateway.url}/openai/v1`, maxRetries: 0 });
    const err = await client.chat.completions.create({ model: "mock-think", messages: userMessage("hi") as never, stream: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).status).toBe(429);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")).toBe("1");
  });

  it("an upstream 5xx after the retries is a 502 on a streamed request, not a 200 with an error inside", async () => {
    const { gateway } = await stack({ faults: { fail: { status: 500, times: Infinity, message: "boom", retryAfterSeconds: 1 } } }, SLOW_RETRIES);
    const r = await postStaged(gateway.url, { model: "mock-think", messages: userMessage("hi") });
    expect(r.status).toBe(502);
    expect(r.events).toEqual([]);
  });

  it("an upstream slow to accept: nothing is sent before it does, then the stream is whole", async () => {
    const { gateway, mock } = await stack({ latency: { headersMs: 1500, promptSummaryMs: 0 } });
    const r = await postStaged(gateway.url, { model: "mock-think", messages: userMessage("hi") });
    expect(r.status).toBe(200);
    expect(names(r)[0]).toBe("summary.prompt");
    expect(names(r).at(-1)).toBe("output.done");
    expect(mock.mock.calls.filter((c) => c.kind === "chat")).toHaveLength(1);
  });

  it("once the upstream accepted, a failure is in-stream: 200, then an error event and no output.done", async () => {
    const { gateway } = await stack({ faults: { dropAfterChunks: 3 } });
    const r = await postStaged(gateway.url, { model: "mock-think", messages: userMessage("hi") });
    expect(r.status).toBe(200);
    expect(names(r)).toContain("error");
    expect(names(r)).not.toContain("output.done");
  });
});
