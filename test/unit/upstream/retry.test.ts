import pRetry from "p-retry";
import { describe, expect, it, vi } from "vitest";
import { serverDelay } from "../../../src/upstream/errors.js";
import { MAX_BACKOFF_MS, MAX_SERVER_DELAY_MS, retryDelay, withRetries, type RetryInfo, type RetryPolicy } from "../../../src/upstream/retry.js";
import { UpstreamError } from "../../../src/upstream/index.js";

// Count how often the retry loop is built: it should be only for calls that failed.
vi.mock("p-retry", async (importOriginal) => {
  const real = await importOriginal<typeof import("p-retry")>();
  return { ...real, default: vi.fn(real.default) };
});

const busy = (retryAfterMs?: number) => new UpstreamError({ kind: "http", status: 503, message: "busy", ...(retryAfterMs !== undefined && { retryAfterMs }) });

/** A fake clock: every wait is recorded and returns at once (or never, until the signal aborts). */
function fakeSleep(opts: { hang?: boolean } = {}) {
  const waits: number[] = [];
  const sleep = (ms: number, signal: AbortSignal) => {
    waits.push(ms);
    if (!opts.hang) return Promise.resolve();
    return new Promise<void>((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
  };
  return { waits, sleep };
}

/** An attempt that fails with `errors` in turn, then succeeds with "ok". */
function failing(...errors: UpstreamError[]) {
  const seen: number[] = [];
  const attempt = (n: number) => {
    seen.push(n);
    const e = errors.shift();
    return e ? Promise.reject(e) : Promise.resolve("ok");
  };
  return { seen, attempt };
}

const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({ maxRetries: 3, backoffMs: 500, maxRetryAfterMs: 60_000, random: () => 0, ...over });
const live = () => new AbortController().signal;

describe("withRetries", () => {
  it("stops at maxRetries and tells the hook each attempt, the bound and the wait before it happens", async () => {
    const clock = fakeSleep();
    const hook: RetryInfo[] = [];
    const { seen, attempt } = failing(busy(), busy(), busy(), busy(), busy());
    await expect(withRetries(attempt, policy({ sleep: clock.sleep, onRetry: (i) => hook.push(i) }), live())).rejects.toMatchObject({ status: 503 });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(hook.map(({ attempt, maxRetries, delayMs }) => ({ attempt, maxRetries, delayMs }))).toEqual([
      { attempt: 1, maxRetries: 3, delayMs: 500 },
      { attempt: 2, maxRetries: 3, delayMs: 1000 },
      { attempt: 3, maxRetries: 3, delayMs: 2000 },
    ]);
    expect(clock.waits).toEqual([500, 1000, 2000]);
  });

  it("waits the server's delay exactly, nothing added, and succeeds on the next attempt", async () => {
    const clock = fakeSleep();
    const { seen, attempt } = failing(busy(2500), busy(40));
    await expect(withRetries(attempt, policy({ sleep: clock.sleep }), live())).resolves.toBe("ok");
    expect(seen).toEqual([1, 2, 3]);
    expect(clock.waits).toEqual([2500, 40]);
  });

  it("a server delay of 0 falls back to the backoff; one past 60 s or past REQUEST_TIMEOUT is not retried at all", async () => {
    const zero = fakeSleep();
    await withRetries(failing(busy(0)).attempt, policy({ sleep: zero.sleep }), live());
    expect(zero.waits).toEqual([500]);

    for (const [delay, maxRetryAfterMs] of [
      [MAX_SERVER_DELAY_MS + 1, 600_000],
      [5_000, 1_000],
    ] as const) {
      const clock = fakeSleep();
      const { seen, attempt } = failing(busy(delay));
      await expect(withRetries(attempt, policy({ sleep: clock.sleep, maxRetryAfterMs }), live())).rejects.toMatchObject({ retryAfterMs: delay });
      expect(seen).toEqual([1]);
      expect(clock.waits).toEqual([]);
    }
  });

  it("does not retry what is not retryable, nor anything when no retries are allowed", async () => {
    const bad = new UpstreamError({ kind: "http", status: 400, message: "bad" });
    const a = failing(bad);
    await expect(withRetries(a.attempt, policy({ sleep: fakeSleep().sleep }), live())).rejects.toBe(bad);
    expect(a.seen).toEqual([1]);
    const b = failing(busy());
    await expect(withRetries(b.attempt, policy({ maxRetries: 0, sleep: fakeSleep().sleep }), live())).rejects.toMatchObject({ status: 503 });
    expect(b.seen).toEqual([1]);
  });

  it("a client that leaves during the wait ends the loop as `aborted`, with no further attempt", async () => {
    const ac = new AbortController();
    const clock = fakeSleep({ hang: true });
    const { seen, attempt } = failing(busy(), busy());
    const run = withRetries(attempt, policy({ sleep: clock.sleep }), ac.signal);
    await vi.waitFor(() => expect(clock.waits).toHaveLength(1));
    ac.abort();
    await expect(run).rejects.toMatchObject({ kind: "aborted", code: "client_closed" });
    expect(seen).toEqual([1]);
  });

  it("builds the retry loop only for a call that failed: a call that succeeds at once never enters p-retry", async () => {
    const built = vi.mocked(pRetry);
    built.mockClear();
    for (let i = 0; i < 5; i++) await withRetries(() => Promise.resolve(i), policy(), live());
    expect(built).not.toHaveBeenCalled();
    await withRetries(failing(busy()).attempt, policy({ sleep: fakeSleep().sleep }), live());
    expect(built).toHaveBeenCalledTimes(1);
  });

  it("builds a policy given as a function only for a call that failed, once", async () => {
    const make = vi.fn(() => policy({ sleep: fakeSleep().sleep }));
    for (let i = 0; i < 5; i++) await withRetries(() => Promise.resolve(i), make, live());
    expect(make).not.toHaveBeenCalled();
    const { seen, attempt } = failing(busy(), busy());
    await expect(withRetries(attempt, make, live())).resolves.toBe("ok");
    expect(seen).toEqual([1, 2, 3]);
    expect(make).toHaveBeenCalledTimes(1);
  });
});

describe("retryDelay: openai-node's rule", () => {
  const p = { maxRetries: 20, backoffMs: 1000, maxRetryAfterMs: 60_000 };
  it("backoff doubles with jitter ×1–2 and is capped", () => {
    expect(retryDelay(1, { ...p, random: () => 0 }, undefined)).toBe(1000);
    expect(retryDelay(2, { ...p, random: () => 0.5 }, undefined)).toBe(3000);
    expect(retryDelay(20, { ...p, random: () => 0.99 }, undefined)).toBe(MAX_BACKOFF_MS);
  });

  it("a reasonable server delay (0 < d ≤ 60 s) is the wait, exactly; 0 means backoff; longer means no retry", () => {
    expect(retryDelay(1, { ...p, random: () => 0 }, 2500)).toBe(2500);
    expect(retryDelay(3, { ...p, random: () => 0.9 }, 1)).toBe(1);
    expect(retryDelay(1, { ...p, random: () => 0 }, MAX_SERVER_DELAY_MS)).toBe(MAX_SERVER_DELAY_MS);
    expect(retryDelay(1, { ...p, random: () => 0 }, 0)).toBe(1000);
    expect(retryDelay(1, { ...p, maxRetryAfterMs: 600_000 }, MAX_SERVER_DELAY_MS + 1)).toBeUndefined();
    expect(retryDelay(1, { ...p, maxRetryAfterMs: 2000 }, 2001)).toBeUndefined();
  });
});

describe("serverDelay", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it("prefers retry-after-ms, then Retry-After in seconds or as an HTTP date", () => {
    expect(serverDelay("1500", "9", now)).toBe(1500);
    expect(serverDelay("12.5", null, now)).toBe(12.5);
    expect(serverDelay(null, "2", now)).toBe(2000);
    expect(serverDelay(null, "Thu, 01 Jan 2026 00:00:03 GMT", now)).toBe(3000);
  });

  it("ignores what says nothing usable", () => {
    expect(serverDelay("soon", "4", now)).toBe(4000);
    expect(serverDelay("-5", null, now)).toBeUndefined();
    expect(serverDelay(" ", " ", now)).toBeUndefined();
    expect(serverDelay(null, "never", now)).toBeUndefined();
    expect(serverDelay(null, null, now)).toBeUndefined();
  });
});
