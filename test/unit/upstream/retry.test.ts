import { describe, expect, it } from "vitest";
import { MAX_BACKOFF_MS, retryDelay, withRetries, type RetryInfo } from "../../../src/upstream/retry.js";
import { UpstreamError } from "../../../src/upstream/index.js";

const busy = (retryAfterMs?: number) => new UpstreamError({ kind: "http", status: 503, message: "busy", ...(retryAfterMs !== undefined && { retryAfterMs }) });

describe("withRetries", () => {
  it("stops at maxRetries and tells the hook each attempt, the bound and the wait before it happens", async () => {
    const seen: RetryInfo[] = [];
    let calls = 0;
    const run = withRetries(
      async () => {
        calls++;
        throw busy();
      },
      { maxRetries: 3, backoffMs: 1, maxRetryAfterMs: 1000, random: () => 0, onRetry: (i) => seen.push(i) },
      new AbortController().signal,
    );
    await expect(run).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(4);
    expect(seen.map(({ attempt, maxRetries, delayMs }) => ({ attempt, maxRetries, delayMs }))).toEqual([
      { attempt: 1, maxRetries: 3, delayMs: 1 },
      { attempt: 2, maxRetries: 3, delayMs: 2 },
      { attempt: 3, maxRetries: 3, delayMs: 4 },
    ]);
  });

  it("does not wait for a Retry-After longer than allowed: the failure comes back at once", async () => {
    let calls = 0;
    const started = performance.now();
    await expect(
      withRetries(
        async () => {
          calls++;
          throw busy(60_000);
        },
        { maxRetries: 3, backoffMs: 1, maxRetryAfterMs: 1000 },
        new AbortController().signal,
      ),
    ).rejects.toMatchObject({ retryAfterMs: 60_000 });
    expect(calls).toBe(1);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("retryDelay", () => {
  it("doubles with jitter, caps each backoff, and adds Retry-After on top", () => {
    const policy = { maxRetries: 20, backoffMs: 1000, maxRetryAfterMs: 0 };
    expect(retryDelay(1, { ...policy, random: () => 0 }, undefined)).toBe(1000);
    expect(retryDelay(2, { ...policy, random: () => 0.5 }, undefined)).toBe(3000);
    expect(retryDelay(20, { ...policy, random: () => 0.99 }, undefined)).toBe(MAX_BACKOFF_MS);
    expect(retryDelay(1, { ...policy, random: () => 0 }, 2500)).toBe(3500);
  });
});
