import { afterEach, describe, expect, it, vi } from "vitest";
import { createSummarizer, fallbackSummary } from "../../../src/summaries/index.js";

const TEXT = "The user asks why the sky is blue. Rayleigh scattering favours short wavelengths. So blue wins.";
const completion = (content: string) => ({ choices: [{ message: { role: "assistant", content } }] });
const request = (complete: (body: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>, signal = new AbortController().signal) => ({
  kind: "prompt" as const,
  text: TEXT,
  model: "m",
  signal,
  complete,
});

afterEach(() => {
  vi.useRealTimers();
});

describe("summarize: SUMMARY_TIMEOUT through p-timeout", () => {
  it("a summary that answers in time is the model's text", async () => {
    const r = await createSummarizer(10_000)(request(async () => completion("<think>x</think>Sky colour.")));
    expect(r).toEqual({ text: "Sky colour.", source: "model", failure: undefined });
  });

  it("past the deadline: the sentence fallback with summary_timeout, and the call is cancelled", async () => {
    vi.useFakeTimers();
    let callSignal: AbortSignal | undefined;
    const summarize = createSummarizer(10_000);
    const pending = summarize(
      request((_, signal) => {
        callSignal = signal;
        return new Promise(() => undefined);
      }),
    );
    await vi.advanceTimersByTimeAsync(9_999);
    expect(callSignal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).resolves.toEqual({
      text: fallbackSummary(TEXT),
      source: "fallback",
      failure: { code: "summary_timeout", message: "summary timed out after 10 s (SUMMARY_TIMEOUT)", retryable: true },
    });
    expect(callSignal?.aborted).toBe(true);
  });

  it("leaves no timer behind and Error.stackTraceLimit as it found it", async () => {
    vi.useFakeTimers();
    const limit = Error.stackTraceLimit;
    await createSummarizer(10_000)(request(async () => completion("Done.")));
    expect(vi.getTimerCount()).toBe(0);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error("still has a stack").stack).toContain("summarize.test.ts");
  });

  it("a request that was cancelled rejects instead of falling back", async () => {
    const ac = new AbortController();
    const pending = createSummarizer(10_000)(
      request((_, signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("gone")), { once: true })), ac.signal),
    );
    ac.abort();
    await expect(pending).rejects.toThrow("gone");
  });
});
