import { EventEmitter } from "node:events";
import { Gauge, Registry } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { workerMetrics, type PrimaryChannel } from "../../../src/fleet/index.js";

/**
 * A worker's `/metrics` under WORKERS > 1: every worker's series, gathered by the primary. The
 * primary's gather is bounded by prom-client at 5 s; a worker must not give up on it sooner, or a
 * saturated machine (where a working gather takes longer than usual) gets a partial scrape.
 */

/** A primary that answers each request after `delayMs`, or never. */
function primaryAnswering(delayMs: number | null, body = "every worker's series\n"): PrimaryChannel {
  const channel = new EventEmitter();
  return {
    on: (event, listener) => channel.on(event, listener),
    send: (m: unknown) => {
      const { id } = m as { id: number };
      if (delayMs !== null) setTimeout(() => channel.emit("message", { type: "sgw:metrics-reply", id, body }), delayMs);
      return true;
    },
  };
}

function ownRegistry(): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ instance: "this-worker" });
  return registry;
}

describe("workerMetrics", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits for a primary whose gather takes seconds (within prom-client's 5 s) and answers with every worker's series", async () => {
    vi.useFakeTimers();
    const render = workerMetrics(ownRegistry(), primaryAnswering(4_000));
    const answer = render();
    await vi.advanceTimersByTimeAsync(4_000);
    expect((await answer).body).toBe("every worker's series\n");
  });

  it("answers with its own series when the primary does not answer at all", async () => {
    vi.useFakeTimers();
    const registry = ownRegistry();
    registry.registerMetric(new Gauge({ name: "only_here", help: "h", registers: [] }));
    const render = workerMetrics(registry, primaryAnswering(null));
    const answer = render();
    await vi.advanceTimersByTimeAsync(5_999);
    let settled = false;
    void answer.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await answer).body).toContain("only_here");
  });
});
