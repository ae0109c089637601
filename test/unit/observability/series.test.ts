import { describe, expect, it } from "vitest";
import { createMonitor, createTimeSeries, LATENCY_KEYS } from "../../../src/observability/index.js";
import type { RequestOutcome } from "../../../src/events/observer.js";
import { makeRecord } from "./helpers.js";

const T0 = Date.parse("2025-01-01T00:00:00.000Z");

function clock(start = T0) {
  let t = start;
  return { now: () => t, set: (ms: number) => void (t = ms), advance: (ms: number) => void (t += ms) };
}

const sample = (outcome: RequestOutcome, total: number, promptSummary: number | null = null) => ({
  outcome,
  provider: "p1",
  model: "m1",
  latencyMs: { prompt_summary: promptSummary, upstream_ttfb: null, reasoning_end: null, reasoning_summary: null, first_output: null, total },
});

describe("createTimeSeries", () => {
  it("counts outcomes per bucket, oldest first, with empty buckets in between", () => {
    const c = clock(T0 + 5_000); // inside the first 10 s bucket
    const ts = createTimeSeries({ now: c.now, random: () => 0 });
    ts.add(sample("ok", 100));
    ts.add(sample("upstream_error", 300));
    c.advance(20_000); // two buckets later
    ts.add(sample("ok", 200));
    ts.add(sample("rejected", 1));
    ts.add(sample("client_closed", 50));

    const s = ts.read(1);
    expect(s).toMatchObject({ bucket_seconds: 10, minutes: 1 });
    expect(s.buckets).toHaveLength(6);
    expect(s.buckets.at(-1)!.start).toBe("2025-01-01T00:00:20.000Z");
    expect(s.buckets.map((b) => b.requests)).toEqual([0, 0, 0, 2, 0, 3]);
    expect(s.buckets[3]).toMatchObject({ start: "2025-01-01T00:00:00.000Z", ok: 1, errors: 1, requests_per_second: 0.2, errors_per_second: 0.1 });
    expect(s.buckets[5]).toMatchObject({ ok: 1, rejected: 1, client_closed: 1, errors: 0 });
    // Rejected requests stay out of the latencies, as in the stats.
    expect(s.buckets[5]!.latency_ms.total).toEqual({ p50: 50, p95: 200 });
    expect(s.buckets[3]!.latency_ms.total).toEqual({ p50: 100, p95: 300 });
    expect(s.buckets[3]!.latency_ms.prompt_summary).toEqual({ p50: null, p95: null });
    expect(s.buckets[0]!.latency_ms.total).toEqual({ p50: null, p95: null });
    expect(Object.keys(s.buckets[0]!.latency_ms)).toEqual([...LATENCY_KEYS]);
  });

  it("computes nearest-rank p50/p95 per stage, the same before and after the bucket settles", () => {
    const c = clock();
    const ts = createTimeSeries({ now: c.now, random: () => 0 });
    for (let i = 1; i <= 20; i++) ts.add(sample("ok", i * 10, i));
    const live = ts.read(1).buckets.at(-1)!;
    expect(live.latency_ms.total).toEqual({ p50: 100, p95: 190 });
    expect(live.latency_ms.prompt_summary).toEqual({ p50: 10, p95: 19 });
    c.advance(10_000);
    ts.add(sample("ok", 5)); // a new bucket: the previous one is reduced and its samples dropped
    const settled = ts.read(1).buckets.at(-2)!;
    expect(settled.latency_ms).toEqual(live.latency_ms);
    expect(settled.requests).toBe(20);
  });

  it("forgets what is older than it keeps, and clamps the range asked for", () => {
    const c = clock();
    const ts = createTimeSeries({ now: c.now, random: () => 0, bucketSeconds: 60, keepMinutes: 5 });
    ts.add(sample("ok", 1));
    c.advance(5 * 60_000); // the slot is reused five buckets later
    ts.add(sample("ok", 2));
    const s = ts.read(60);
    expect(s.minutes).toBe(5);
    expect(s.buckets).toHaveLength(5);
    expect(s.buckets.map((b) => b.requests)).toEqual([0, 0, 0, 0, 1]);
    expect(s.buckets.at(-1)!.latency_ms.total).toEqual({ p50: 2, p95: 2 });
    expect(ts.read(0).buckets).toHaveLength(1);
  });

  it("keeps at most samplesPerStage latencies in a busy bucket, while counting every request", () => {
    const c = clock();
    let r = 0;
    const ts = createTimeSeries({ now: c.now, random: () => (r = (r + 0.37) % 1), samplesPerStage: 10 });
    for (let i = 1; i <= 1000; i++) ts.add(sample("ok", i));
    const b = ts.read(1).buckets.at(-1)!;
    expect(b.requests).toBe(1000);
    // A sample of 10 of the values 1..1000: observed values, spread out, not just the first ten.
    expect(b.latency_ms.total.p95).toBeGreaterThan(10);
    expect(Number.isInteger(b.latency_ms.total.p50)).toBe(true);
  });

  it("counts a request whose clock stepped back in the newest bucket instead of reopening an old one", () => {
    const c = clock(T0 + 30_000);
    const ts = createTimeSeries({ now: c.now, random: () => 0 });
    ts.add(sample("ok", 1));
    c.set(T0 + 5_000);
    ts.add(sample("ok", 2));
    c.set(T0 + 30_000);
    const buckets = ts.read(1).buckets;
    expect(buckets.at(-1)!.requests).toBe(2);
    expect(buckets.reduce((n, b) => n + b.requests, 0)).toBe(2);
  });
});

describe("monitor.series", () => {
  it("is fed by finished requests and reaches back seriesMinutes", () => {
    const c = clock();
    const mon = createMonitor({ now: c.now, random: () => 0 });
    mon.finished(makeRecord({ id: "a", outcome: "ok" }));
    mon.finished(makeRecord({ id: "b", outcome: "upstream_error" }));
    expect(mon.seriesMinutes).toBe(60);
    const s = mon.series(15);
    expect(s.buckets).toHaveLength(90);
    expect(s.buckets.at(-1)).toMatchObject({ requests: 2, ok: 1, errors: 1 });
    expect(mon.stats().window_size).toBe(2000);
  });
});
