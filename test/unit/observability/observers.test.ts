import { describe, expect, it, vi } from "vitest";
import { combineObservers, combineObserversWithLogger } from "../../../src/observability/index.js";
import type { RequestObserver } from "../../../src/events/observer.js";
import { makeRecord } from "./helpers.js";

function spyObserver(): RequestObserver & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    started: ({ id }) => void calls.push(`started:${id}`),
    retry: ({ id }) => void calls.push(`retry:${id}`),
    failover: ({ id }) => void calls.push(`failover:${id}`),
    summaryFallback: ({ id }) => void calls.push(`summaryFallback:${id}`),
    finished: ({ id }) => void calls.push(`finished:${id}`),
  };
}

function throwing(): RequestObserver {
  const boom = (): never => {
    throw new Error("observer exploded");
  };
  return { started: boom, retry: boom, failover: boom, summaryFallback: boom, finished: boom };
}

function driveAll(o: RequestObserver): void {
  o.started({ id: "r", model: "m", stream: true });
  o.retry({ id: "r", provider: "p", attempt: 1, status: 503, code: "x" });
  o.failover({ id: "r", from: "p", to: "q", reason: "x" });
  o.summaryFallback({ id: "r", stage: "prompt_summary", code: "x" });
  o.finished(makeRecord({ id: "r" }));
}

const ALL = ["started:r", "retry:r", "failover:r", "summaryFallback:r", "finished:r"];

describe("combineObservers", () => {
  it("fans every call out, in order, and a throwing observer breaks neither the others nor the caller", () => {
    const before = spyObserver();
    const after = spyObserver();
    const combined = combineObservers(before, throwing(), after);
    expect(() => driveAll(combined)).not.toThrow();
    expect(before.calls).toEqual(ALL);
    expect(after.calls).toEqual(ALL);
  });

  it("reports each failure to the logger, and survives a logger that throws", () => {
    const warn = vi.fn();
    const spy = spyObserver();
    driveAll(combineObserversWithLogger({ warn }, throwing(), spy));
    expect(warn).toHaveBeenCalledTimes(5);
    expect(warn.mock.calls.map((c) => (c[0] as { method: string }).method)).toEqual(["started", "retry", "failover", "summaryFallback", "finished"]);
    expect(warn.mock.calls[0]?.[0]).toMatchObject({ observer: 0, err: expect.any(Error) });

    const spy2 = spyObserver();
    const badLogger = {
      warn: () => {
        throw new Error("logger down");
      },
    };
    expect(() => driveAll(combineObserversWithLogger(badLogger, throwing(), spy2))).not.toThrow();
    expect(spy2.calls).toEqual(ALL);
  });

  it("catches an async observer's rejection instead of leaving it unhandled", async () => {
    const warn = vi.fn();
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      const asyncObserver = { ...spyObserver(), finished: async () => Promise.reject(new Error("later")) };
      combineObserversWithLogger({ warn }, asyncObserver).finished(makeRecord());
      await new Promise((r) => setTimeout(r, 10));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off("unhandledRejection", unhandled);
    }
  });

  it("with no observers is a harmless no-op", () => {
    expect(() => driveAll(combineObservers())).not.toThrow();
  });
});
