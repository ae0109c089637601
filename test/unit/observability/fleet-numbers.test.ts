import { describe, expect, it } from "vitest";
import { computeWindowStats, createSampleWindow, fromWire, LATENCY_KEYS, toWire, type RequestSample } from "../../../src/observability/index.js";

const sample = (outcome: RequestSample["outcome"], total: number | null, provider: string | null = "box"): RequestSample => ({
  outcome,
  provider,
  model: "m",
  latencyMs: Object.fromEntries(LATENCY_KEYS.map((k) => [k, k === "total" ? total : null])) as RequestSample["latencyMs"],
});

describe("samples between replicas", () => {
  it("survive the wire unchanged, and a malformed one is refused, not trusted", () => {
    const s = { ...sample("stream_error", 1234), latencyMs: { ...sample("ok", 5).latencyMs, upstream_ttfb: 40, prompt_summary: 0 } };
    expect(fromWire(JSON.parse(JSON.stringify(toWire(s, "r1"))))).toEqual({ sample: s, replica: "r1" });
    expect(fromWire(toWire(sample("rejected", null, null), "r2"))).toEqual({ sample: sample("rejected", null, null), replica: "r2" });
    const good = toWire(s, "r1");
    for (const bad of [
      null,
      "x",
      { ...good, o: "exploded" },
      { ...good, l: [1, 2] },
      { ...good, l: ["1", 2, 3, 4, 5, 6] },
      { ...good, m: 3 },
      { ...good, p: 1 },
      { ...good, r: undefined },
    ]) {
      expect(fromWire(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it("several sources in one window: the monitor's own figures over all of them, and who contributed", () => {
    let t = 1_000_000_000;
    const w = createSampleWindow({ now: () => t, random: () => 0.5, windowSize: 3, bucketSeconds: 10, keepMinutes: 5 });
    w.add(sample("ok", 100), "w1");
    w.add(sample("upstream_error", 200), "w2");
    w.add(sample("ok", 300), "w1");
    w.add(sample("client_closed", 400), "w1");
    const stats = w.stats();
    expect(stats).toEqual({
      ...computeWindowStats([sample("upstream_error", 200), sample("ok", 300), sample("client_closed", 400)]),
      replicas: 2,
      window_size: 3,
    });
    expect(w.series(1).buckets.reduce((n, b) => n + b.requests, 0)).toBe(4);
    expect(w.series(1).replicas).toBe(2);
    t += 2 * 60_000;
    w.add(sample("ok", 100), "w2");
    expect(w.series(1).replicas).toBe(1);
    expect(w.series(5).replicas).toBe(2);
  });
});
