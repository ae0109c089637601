import { describe, expect, it } from "vitest";
import { orderCandidates, type CandidateView } from "../../../src/providers/index.js";
import { mulberry32 } from "../../helpers/random.js";

type C = CandidateView;

const c = (id: string, over: Partial<C> = {}): C => ({ id, weight: 1, priority: 100, inFlight: 0, latencyEwmaMs: null, cost: undefined, ...over });
const ids = (list: readonly C[]) => list.map((x) => x.id);

const noRandom = () => {
  throw new Error("this strategy must not use randomness");
};

describe("orderCandidates", () => {
  it("returns a copy of lists with zero or one candidate", () => {
    const one = [c("a")];
    const out = orderCandidates("weighted", one, noRandom, 5);
    expect(ids(out)).toEqual(["a"]);
    expect(out).not.toBe(one);
    expect(orderCandidates("latency", [], noRandom, 0)).toEqual([]);
  });

  it("does not mutate its input", () => {
    const list = [c("a", { priority: 3 }), c("b", { priority: 1 }), c("c", { priority: 2 })];
    const before = ids(list);
    for (const s of ["round_robin", "weighted", "least_busy", "latency", "cost", "priority"] as const) orderCandidates(s, list, mulberry32(1), 1);
    expect(ids(list)).toEqual(before);
  });

  describe("round_robin", () => {
    const list = [c("a"), c("b"), c("c")];
    it("rotates with the cursor, keeping the rest as failover order", () => {
      expect(ids(orderCandidates("round_robin", list, noRandom, 0))).toEqual(["a", "b", "c"]);
      expect(ids(orderCandidates("round_robin", list, noRandom, 1))).toEqual(["b", "c", "a"]);
      expect(ids(orderCandidates("round_robin", list, noRandom, 2))).toEqual(["c", "a", "b"]);
      expect(ids(orderCandidates("round_robin", list, noRandom, 3))).toEqual(["a", "b", "c"]);
      expect(ids(orderCandidates("round_robin", list, noRandom, 7))).toEqual(["b", "c", "a"]);
    });
    it("spreads first picks evenly over consecutive cursors", () => {
      const counts: Record<string, number> = {};
      for (let i = 0; i < 30; i++) {
        const first = orderCandidates("round_robin", list, noRandom, i)[0]!.id;
        counts[first] = (counts[first] ?? 0) + 1;
      }
      expect(counts).toEqual({ a: 10, b: 10, c: 10 });
    });
  });

  describe("weighted", () => {
    const list = [c("a", { weight: 1 }), c("b", { weight: 3 }), c("c", { weight: 6 })];

    it("picks first in proportion to weight (1:3:6 within ±2 points over 20,000 draws)", () => {
      const random = mulberry32(42);
      const n = 20_000;
      const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
      for (let i = 0; i < n; i++) {
        const out = orderCandidates("weighted", list, random, i);
        counts[out[0]!.id]! += 1;
      }
      expect(Math.abs(counts.a! / n - 0.1)).toBeLessThan(0.02);
      expect(Math.abs(counts.b! / n - 0.3)).toBeLessThan(0.02);
      expect(Math.abs(counts.c! / n - 0.6)).toBeLessThan(0.02);
    });

    it("always returns a permutation of the candidates", () => {
      const random = mulberry32(7);
      for (let i = 0; i < 2_000; i++) {
        const out = orderCandidates("weighted", list, random, i);
        expect(out).toHaveLength(3);
        expect([...ids(out)].sort()).toEqual(["a", "b", "c"]);
      }
    });

    it("maps the random number onto cumulative weights", () => {
      // total 10: [0,1) → a, [1,4) → b, [4,10) → c; then the same over what is left.
      const seq = (...xs: number[]) => {
        let i = 0;
        return () => xs[i++] ?? 0;
      };
      expect(ids(orderCandidates("weighted", list, seq(0.05, 0), 0))).toEqual(["a", "b", "c"]);
      expect(ids(orderCandidates("weighted", list, seq(0.2, 0.5), 0))).toEqual(["b", "c", "a"]);
      expect(ids(orderCandidates("weighted", list, seq(0.99, 0.99), 0))).toEqual(["c", "b", "a"]);
    });
  });

  describe("least_busy", () => {
    it("orders by requests in flight, ties in list order", () => {
      const list = [c("a", { inFlight: 2 }), c("b", { inFlight: 0 }), c("c", { inFlight: 2 }), c("d", { inFlight: 1 }), c("e", { inFlight: 0 })];
      expect(ids(orderCandidates("least_busy", list, noRandom, 3))).toEqual(["b", "e", "d", "a", "c"]);
    });
    it("keeps list order when all are equally busy", () => {
      const list = [c("x", { inFlight: 4 }), c("y", { inFlight: 4 }), c("z", { inFlight: 4 })];
      expect(ids(orderCandidates("least_busy", list, noRandom, 0))).toEqual(["x", "y", "z"]);
    });
  });

  describe("latency (power of two choices)", () => {
    const list = [c("slow", { latencyEwmaMs: 200 }), c("fast", { latencyEwmaMs: 10 }), c("mid", { latencyEwmaMs: 50 })];

    it("picks the fastest first clearly most often and never the slowest of three", () => {
      const random = mulberry32(2024);
      const n = 10_000;
      const counts: Record<string, number> = { slow: 0, fast: 0, mid: 0 };
      for (let i = 0; i < n; i++) counts[orderCandidates("latency", list, random, i)[0]!.id]! += 1;
      expect(counts.fast! / n).toBeGreaterThanOrEqual(0.6);
      // p2c compares two distinct candidates and keeps the better, so the worst of three never wins.
      expect(counts.slow).toBe(0);
      expect(counts.mid).toBeGreaterThan(0);
    });

    it("orders the rest by EWMA after the winner", () => {
      const random = mulberry32(5);
      for (let i = 0; i < 500; i++) {
        const out = orderCandidates("latency", list, random, i);
        expect([...ids(out)].sort()).toEqual(["fast", "mid", "slow"]);
        const rest = out.slice(1).map((x) => x.latencyEwmaMs ?? 0);
        expect(rest).toEqual([...rest].sort((p, q) => p - q));
      }
    });

    it("compares two distinct candidates", () => {
      // random() = 0 → i = 0, j = 0 → bumped to 1: slow vs fast → fast.
      expect(orderCandidates("latency", list, () => 0, 0)[0]!.id).toBe("fast");
      // random() ≈ 1 → i = 2 (mid), j = 1 (< i, not bumped) → mid vs fast → fast.
      expect(orderCandidates("latency", list, () => 0.999, 0)[0]!.id).toBe("fast");
      // i = 0 (slow), j = floor(0.6 * 2) = 1 → bumped to 2 → slow vs mid → mid.
      const seq = [0, 0.6];
      let k = 0;
      expect(orderCandidates("latency", list, () => seq[k++] ?? 0, 0)[0]!.id).toBe("mid");
    });

    it("treats an unmeasured provider as fastest so it gets measured", () => {
      const withNew = [c("fast", { latencyEwmaMs: 10 }), c("new", { latencyEwmaMs: null })];
      const random = mulberry32(9);
      for (let i = 0; i < 200; i++) expect(orderCandidates("latency", withNew, random, i)[0]!.id).toBe("new");
    });

    it("never picks the slowest first with two candidates", () => {
      const two = [c("slow", { latencyEwmaMs: 300 }), c("fast", { latencyEwmaMs: 20 })];
      const random = mulberry32(11);
      for (let i = 0; i < 200; i++) expect(ids(orderCandidates("latency", two, random, i))).toEqual(["fast", "slow"]);
    });
  });

  describe("cost", () => {
    it("puts the cheapest first and unknown cost last, ties stable", () => {
      const list = [c("unknown1"), c("pricey", { cost: 5 }), c("free", { cost: 0 }), c("unknown2"), c("cheap", { cost: 0.5 }), c("cheap2", { cost: 0.5 })];
      expect(ids(orderCandidates("cost", list, noRandom, 0))).toEqual(["free", "cheap", "cheap2", "pricey", "unknown1", "unknown2"]);
    });
  });

  describe("priority", () => {
    it("puts lower numbers first, ties in list order", () => {
      const list = [c("a", { priority: 10 }), c("b", { priority: 1 }), c("c", { priority: 10 }), c("d", { priority: -5 }), c("e", { priority: 1 })];
      expect(ids(orderCandidates("priority", list, noRandom, 4))).toEqual(["d", "b", "e", "a", "c"]);
    });
  });
});
