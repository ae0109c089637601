import { describe, expect, it } from "vitest";
import { createMonitor, percentiles } from "../../../src/observability/index.js";
import { makeRecord } from "./helpers.js";

const T0 = Date.parse("2025-01-01T00:00:00.000Z");

function clock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe("percentiles (nearest rank)", () => {
  it("picks observed values by rank ceil(p·n), ignoring order and nulls", () => {
    // Classic nearest-rank example: n=5, p50 → rank 3, p95 and p99 → rank 5.
    expect(percentiles([50, null, 15, 40, 20, 35])).toEqual({ p50: 35, p95: 50, p99: 50 });
    expect(percentiles([7])).toEqual({ p50: 7, p95: 7, p99: 7 });
    expect(percentiles([null, null])).toEqual({ p50: null, p95: null, p99: null });
  });
});

describe("createMonitor stats", () => {
  it("totals, success rate, shares and latency percentiles over the window", () => {
    const c = clock();
    const mon = createMonitor({ now: c.now });
    expect(mon.stats().success_rate).toBeNull();
    expect(mon.stats().latency_ms.total).toEqual({ p50: null, p95: null, p99: null });

    // 20 routed requests with totals 10, 20, …, 200 ms: 15 ok on p1, 3 errors on p2, 2 closed on p1.
    for (let i = 1; i <= 20; i++) {
      const outcome = i <= 15 ? "ok" : i <= 18 ? "upstream_error" : "client_closed";
      mon.finished(
        makeRecord({
          id: `r${i}`,
          outcome,
          provider: outcome === "upstream_error" ? "p2" : "p1",
          model: i % 2 === 0 ? "even" : "odd",
          upstreamTtfbMs: i <= 4 ? i * 5 : null,
          timings: { prompt_summary: null, reasoning_end: null, reasoning_summary: null, first_output: null, total: i * 10 },
        }),
      );
    }
    // Plus 4 rejected ones: no provider, and left out of the latencies (their 1 ms would drag p50 down).
    for (let i = 0; i < 4; i++) {
      mon.finished(
        makeRecord({
          id: `x${i}`,
          outcome: "rejected",
          httpStatus: 400,
          provider: null,
          model: "odd",
          timings: { prompt_summary: null, reasoning_end: null, reasoning_summary: null, first_output: null, total: 1 },
        }),
      );
    }

    const s = mon.stats();
    expect(s.totals).toEqual({ requests: 24, ok: 15, errors: 3, client_closed: 2, aborted: 0, rejected: 4 });
    expect(s.success_rate).toBeCloseTo(15 / 24, 12);
    expect(s.per_provider).toEqual({
      p1: { requests: 17, ok: 15, errors: 0, share: 17 / 20 },
      p2: { requests: 3, ok: 0, errors: 3, share: 3 / 20 },
    });
    // odd: i = 1,3,…,19 (10 requests; ok for i ≤ 15 → 8; errors i = 17 → 1) + 4 rejected.
    // even: i = 2,…,20 (10; ok for i ≤ 14 → 7; errors i = 16, 18 → 2).
    expect(s.per_model).toEqual({
      odd: { requests: 14, ok: 8, errors: 1, share: 14 / 24 },
      even: { requests: 10, ok: 7, errors: 2, share: 10 / 24 },
    });
    // Nearest rank over n=20: p50 → rank 10 = 100 ms, p95 → rank 19 = 190, p99 → rank 20 = 200.
    expect(s.latency_ms.total).toEqual({ p50: 100, p95: 190, p99: 200 });
    // TTFB samples 5, 10, 15, 20 (nulls skipped): p50 → rank 2, p95/p99 → rank 4.
    expect(s.latency_ms.upstream_ttfb).toEqual({ p50: 10, p95: 20, p99: 20 });
    expect(s.latency_ms.prompt_summary).toEqual({ p50: null, p95: null, p99: null });
    expect(Object.keys(s.latency_ms).sort()).toEqual(["first_output", "prompt_summary", "reasoning_end", "reasoning_summary", "total", "upstream_ttfb"]);
  });

  it("covers only the last windowSize requests", () => {
    const mon = createMonitor({ now: clock().now, windowSize: 3 });
    const totals = [100, 200, 300, 400, 500];
    totals.forEach((total, i) =>
      mon.finished(
        makeRecord({
          id: `r${i}`,
          outcome: i === 0 ? "upstream_error" : "ok",
          timings: { prompt_summary: null, reasoning_end: null, reasoning_summary: null, first_output: null, total },
        }),
      ),
    );
    const s = mon.stats();
    expect(s.totals).toEqual({ requests: 3, ok: 3, errors: 0, client_closed: 0, aborted: 0, rejected: 0 });
    expect(s.success_rate).toBe(1);
    expect(s.latency_ms.total).toEqual({ p50: 400, p95: 500, p99: 500 });
  });

  it("tracks in-flight and uptime", () => {
    const c = clock();
    const mon = createMonitor({ now: c.now });
    mon.started({ id: "a", model: "m1", stream: true });
    mon.started({ id: "b", model: "m1", stream: false });
    c.advance(2500);
    expect(mon.stats()).toMatchObject({ in_flight: 2, uptime_seconds: 2 });
    mon.finished(makeRecord({ id: "a" }));
    mon.finished(makeRecord({ id: "ghost", outcome: "rejected", httpStatus: 400 }));
    expect(mon.stats().in_flight).toBe(1);
    expect(mon.health().in_flight).toBe(1);
  });
});

describe("createMonitor logs", () => {
  it("keeps at most capacity events, oldest first and newest last", () => {
    const c = clock();
    const mon = createMonitor({ now: c.now, capacity: 3 });
    expect(mon.logs()).toEqual([]);
    for (let i = 1; i <= 5; i++) {
      mon.record({ level: "info", type: "circuit", message: `e${i}`, provider: "p1" });
      c.advance(1000);
    }
    expect(mon.logs().map((e) => e.message)).toEqual(["e3", "e4", "e5"]);
    expect(mon.logs(2).map((e) => e.message)).toEqual(["e4", "e5"]);
    expect(mon.logs(100)).toHaveLength(3);
    expect(mon.logs(0)).toEqual([]);
    expect(mon.logs(-4)).toEqual([]);
    expect(mon.logs(Number.NaN)).toHaveLength(3);
    expect(mon.logs(1)[0]).toEqual({ ts: "2025-01-01T00:00:04.000Z", level: "info", type: "circuit", message: "e5", provider: "p1" });
  });

  it("keeps a ts given by the caller", () => {
    const mon = createMonitor({ now: clock().now });
    mon.record({ ts: "2024-06-01T00:00:00.000Z", level: "warn", type: "cooldown", message: "p1 cooling down" });
    expect(mon.logs()[0]?.ts).toBe("2024-06-01T00:00:00.000Z");
  });

  it("writes one event per observer call, none for started", () => {
    const mon = createMonitor({ now: clock().now });
    mon.started({ id: "r1", model: "m1", stream: true });
    mon.retry({ id: "r1", provider: "p1", attempt: 1, status: 503, code: "upstream_unavailable" });
    mon.failover({ id: "r1", from: "p1", to: "p2", reason: "retries exhausted" });
    mon.summaryFallback({ id: "r1", stage: "reasoning_summary", code: "timeout" });
    mon.finished(
      makeRecord({ id: "r1", provider: "p2", outcome: "upstream_error", httpStatus: 502, errorCode: "upstream_error", errorMessage: "bad gateway" }),
    );
    mon.finished(makeRecord({ id: "r2", provider: null, outcome: "rejected", httpStatus: 403 }));
    mon.finished(makeRecord({ id: "r3" }));
    const logs = mon.logs();
    expect(logs.map((e) => [e.type, e.level])).toEqual([
      ["retry", "warn"],
      ["failover", "warn"],
      ["summary_fallback", "warn"],
      ["request", "error"],
      ["request", "warn"],
      ["request", "info"],
    ]);
    expect(logs.every((e) => e.request_id !== undefined)).toBe(true);
    expect(logs[0]).toMatchObject({ provider: "p1", message: expect.stringContaining("503") });
    expect(logs[3]).toMatchObject({ request_id: "r1", provider: "p2", model: "m1", message: expect.stringContaining("bad gateway") });
    expect(logs[4]).not.toHaveProperty("provider");
  });
});

describe("createMonitor health", () => {
  it("counts the last minute only, with an error rate of upstream failures", () => {
    const c = clock();
    const mon = createMonitor({ now: c.now });
    expect(mon.health()).toEqual({ status: "ok", uptime_seconds: 0, in_flight: 0, requests_last_minute: 0, error_rate_last_minute: null });

    mon.finished(makeRecord({ id: "old", outcome: "upstream_error", httpStatus: 502 }));
    c.advance(30_000);
    mon.finished(makeRecord({ id: "a" }));
    mon.finished(makeRecord({ id: "b", outcome: "upstream_error", httpStatus: 502 }));
    mon.finished(makeRecord({ id: "c", outcome: "rejected", httpStatus: 400 }));
    expect(mon.health()).toMatchObject({ requests_last_minute: 4, error_rate_last_minute: 0.5 });

    c.advance(31_000); // "old" is now 61 s ago
    expect(mon.health()).toMatchObject({ uptime_seconds: 61, requests_last_minute: 3, error_rate_last_minute: 1 / 3 });

    c.advance(60_000);
    expect(mon.health()).toMatchObject({ requests_last_minute: 0, error_rate_last_minute: null });
    // The rolling stats are by count, not time, so they still hold all four.
    expect(mon.stats().totals.requests).toBe(4);
  });

  it("reuses a second's bucket a minute later without mixing the counts", () => {
    const c = clock();
    const mon = createMonitor({ now: c.now });
    mon.finished(makeRecord({ id: "a", outcome: "upstream_error", httpStatus: 502 }));
    c.advance(60_000); // same slot, next minute
    mon.finished(makeRecord({ id: "b" }));
    expect(mon.health()).toMatchObject({ requests_last_minute: 1, error_rate_last_minute: 0 });
  });
});

describe("createMonitor and schema validation", () => {
  it("tallies checked answers per provider over a bounded window and logs each failure with what came next", () => {
    const c = clock();
    const mon = createMonitor({ now: c.now, windowSize: 4 });
    expect(mon.stats().validation).toEqual({});
    mon.validation?.({ id: "r1", provider: "box", valid: false, attempt: 1, errors: ["(root): must be object"], next: { action: "retry" } });
    mon.validation?.({ id: "r1", provider: "box", valid: false, attempt: 2, errors: ["/days: must be integer"], next: { action: "escalate", to: "cloud" } });
    mon.validation?.({ id: "r1", provider: "cloud", valid: true, attempt: 3 });
    expect(mon.stats().validation).toEqual({ box: { checked: 2, failed: 2 }, cloud: { checked: 1, failed: 0 } });
    expect(mon.logs().map((e) => [e.level, e.type, e.provider, e.message])).toEqual([
      ["warn", "validation", "box", "answer 1 from box failed its schema: (root): must be object; retrying with the schema restated"],
      ["warn", "validation", "box", "answer 2 from box failed its schema: /days: must be integer; escalating to cloud"],
    ]);
    // Only the last windowSize checks count.
    for (let i = 0; i < 2; i++) mon.validation?.({ id: `s${i}`, provider: "cloud", valid: true, attempt: 1 });
    expect(mon.stats().validation).toEqual({ box: { checked: 1, failed: 1 }, cloud: { checked: 3, failed: 0 } });
    mon.validation?.({ id: "z", provider: "cloud", valid: false, attempt: 1, errors: ["e"], next: { action: "give_up" } });
    expect(mon.logs().at(-1)?.message).toBe("answer 1 from cloud failed its schema: e; no attempts left");
  });
});
