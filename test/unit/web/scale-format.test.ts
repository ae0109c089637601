import { describe, expect, it } from "vitest";
import { ago, ms, percent, perSecond, uptime } from "../../../src/web/client/admin/format.js";
import { decimalsFor, niceScale, runs, timeTicks } from "../../../src/web/client/admin/scale.js";

describe("chart scales", () => {
  it("niceScale rounds the top up to a 1/2/5 step, at most maxTicks steps", () => {
    expect(niceScale(0)).toEqual({ max: 1, step: 0.25 });
    expect(niceScale(0.2)).toEqual({ max: 0.2, step: 0.05 });
    expect(niceScale(7)).toEqual({ max: 8, step: 2 });
    expect(niceScale(1234)).toEqual({ max: 1500, step: 500 });
    for (const v of [0.013, 3, 99, 2500, 61_000]) {
      const s = niceScale(v);
      expect(s.max).toBeGreaterThanOrEqual(v);
      expect(s.max / s.step).toBeLessThanOrEqual(4 + 1e-9);
    }
  });

  it("decimalsFor gives each step the digits that keep tick labels distinct", () => {
    expect([0.05, 0.25, 0.5, 1, 5, 500].map(decimalsFor)).toEqual([2, 2, 1, 0, 0, 0]);
  });

  it("timeTicks lands on round minutes within the span", () => {
    const start = Date.parse("2025-01-01T10:00:10Z");
    const end = start + 15 * 60_000;
    const ticks = timeTicks(start, end, 4);
    expect(ticks.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(["10:05", "10:10", "10:15"]);
    expect(timeTicks(start, start + 60 * 60_000, 4).length).toBeLessThanOrEqual(4);
  });

  it("runs splits a series at gaps (null), so a missing bucket is never drawn as zero", () => {
    expect(runs([1, 2, null, null, 3, null, 4, 5])).toEqual([
      [
        [0, 1],
        [1, 2],
      ],
      [[4, 3]],
      [
        [6, 4],
        [7, 5],
      ],
    ]);
    expect(runs([null])).toEqual([]);
  });
});

describe("dashboard numbers", () => {
  it("percent rounds, but never shows 100 % with a failure or 0 % with a success", () => {
    expect(percent(3, 4)).toBe("75 %");
    expect(percent(999, 1000)).toBe(">99 %");
    expect(percent(1, 1000)).toBe("<1 %");
    expect(percent(0, 5)).toBe("0 %");
    expect(percent(5, 5)).toBe("100 %");
    expect(percent(0, 0)).toBe("–");
  });

  it("durations and rates in the unit that reads best", () => {
    expect([ms(null), ms(12.4), ms(1234), ms(12_345), ms(125_000)]).toEqual(["–", "12 ms", "1.23 s", "12.3 s", "2 min 5 s"]);
    expect([perSecond(0), perSecond(0.05), perSecond(0.3), perSecond(12.4)]).toEqual(["0", "0.05", "0.3", "12"]);
    expect([uptime(5), uptime(600), uptime(7260), uptime(3 * 86_400)]).toEqual(["5 s", "10 min", "2 h 1 min", "3 days"]);
    const now = Date.parse("2025-01-01T00:10:00Z");
    expect([ago("2025-01-01T00:09:55Z", now), ago("2025-01-01T00:05:00Z", now), ago("2024-12-31T22:00:00Z", now), ago("nope", now)]).toEqual([
      "5 s ago",
      "5 min ago",
      "2 h ago",
      "–",
    ]);
  });
});
