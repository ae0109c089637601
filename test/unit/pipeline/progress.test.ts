import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createProgressReporter, type ProgressOutcome } from "../../../src/pipeline/progress.js";

describe("createProgressReporter", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  function setup(answer: (text: string, signal: AbortSignal) => Promise<string | undefined>) {
    const delivered: { index: number; text: string }[] = [];
    const outcomes: ProgressOutcome[] = [];
    const asked: string[] = [];
    const reporter = createProgressReporter({
      intervalMs: 1000,
      summarize: (text, signal) => {
        asked.push(text);
        return answer(text, signal);
      },
      deliver: (index, text) => void delivered.push({ index, text }),
      record: (o) => void outcomes.push(o),
      now: () => Date.now(),
    });
    return { reporter, delivered, outcomes, asked };
  }

  it("summarises only reasoning that is new since the last tick, with a little earlier context", async () => {
    const { reporter, delivered, asked } = setup(async (t) => `summary of ${t.length}`);
    reporter.reasoning("First paragraph about light. ");
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked).toEqual(["First paragraph about light. "]);
    // No new reasoning: no call.
    await vi.advanceTimersByTimeAsync(3000);
    expect(asked).toHaveLength(1);
    reporter.reasoning("Second paragraph about sunsets.");
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked[1]).toContain("(earlier) …First paragraph about light.");
    expect(asked[1]).toContain("(latest) Second paragraph about sunsets.");
    expect(delivered.map((d) => d.index)).toEqual([0, 1]);
    reporter.stop();
  });

  it("skips a tick while a call is in flight instead of queueing, and stop() cancels that call", async () => {
    let seen: AbortSignal | undefined;
    const { reporter, outcomes, delivered } = setup((_t, signal) => {
      seen = signal;
      return new Promise(() => undefined);
    });
    reporter.reasoning("a");
    await vi.advanceTimersByTimeAsync(1000);
    reporter.reasoning("b");
    await vi.advanceTimersByTimeAsync(1000);
    reporter.reasoning("c");
    await vi.advanceTimersByTimeAsync(1000);
    expect(outcomes).toEqual(["skipped_busy", "skipped_busy"]);
    reporter.stop();
    expect(seen?.aborted).toBe(true);
    expect(delivered).toEqual([]);
    // The call was made: it is counted, as cancelled.
    expect(outcomes).toEqual(["skipped_busy", "skipped_busy", "cancelled"]);
  });

  it("a call that has settled is never also counted cancelled, even when stop() comes in the same turn", async () => {
    const outcomes: ProgressOutcome[] = [];
    // Delivering the summary is what ends the reasoning here: stop() runs inside deliver().
    const reporter = createProgressReporter({
      intervalMs: 1000,
      summarize: async () => "a note",
      deliver: () => reporter.stop(),
      record: (o) => void outcomes.push(o),
      now: () => Date.now(),
    });
    reporter.reasoning("a");
    await vi.advanceTimersByTimeAsync(1000);
    expect(outcomes).toEqual(["sent"]);
  });

  it("a failed call is skipped silently and the next tick tries again", async () => {
    let n = 0;
    const { reporter, outcomes, delivered } = setup(async () => (n++ === 0 ? Promise.reject(new Error("boom")) : "**Next**: fine"));
    reporter.reasoning("a");
    await vi.advanceTimersByTimeAsync(1000);
    reporter.reasoning("b");
    await vi.advanceTimersByTimeAsync(1000);
    expect(outcomes).toEqual(["failed", "sent"]);
    expect(delivered).toEqual([{ index: 0, text: "**Next**: fine" }]);
    reporter.stop();
  });
});
