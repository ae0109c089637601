import type { StrategyName } from "./schema.js";

/** What a strategy may look at for one candidate. */
export interface CandidateView {
  id: string;
  weight: number;
  priority: number;
  inFlight: number;
  latencyEwmaMs: number | null;
  /** input + output price per million tokens; undefined when unknown. */
  cost: number | undefined;
}

/**
 * Order candidates for one request: the first is tried first, the rest are the failover order.
 * Pure: randomness and the round-robin cursor come in as arguments.
 */
export function orderCandidates<T extends CandidateView>(strategy: StrategyName, list: readonly T[], random: () => number, cursor: number): T[] {
  if (list.length <= 1) return [...list];
  switch (strategy) {
    case "round_robin": {
      const start = cursor % list.length;
      return [...list.slice(start), ...list.slice(0, start)];
    }
    case "weighted":
      return weightedShuffle(list, random);
    case "least_busy":
      return stableSort(list, (a, b) => a.inFlight - b.inFlight);
    case "latency":
      return powerOfTwo(list, random);
    case "cost":
      // Unknown cost sorts last: cheap-and-known beats maybe-cheap.
      return stableSort(list, (a, b) => (a.cost ?? Infinity) - (b.cost ?? Infinity));
    case "priority":
      return stableSort(list, (a, b) => a.priority - b.priority);
  }
}

function stableSort<T>(list: readonly T[], cmp: (a: T, b: T) => number): T[] {
  return list
    .map((v, i) => [v, i] as const)
    .sort((a, b) => cmp(a[0], b[0]) || a[1] - b[1])
    .map(([v]) => v);
}

/** Sampling without replacement, each draw proportional to weight. */
function weightedShuffle<T extends CandidateView>(list: readonly T[], random: () => number): T[] {
  const left = [...list];
  const out: T[] = [];
  while (left.length > 0) {
    const total = left.reduce((s, c) => s + c.weight, 0);
    let r = random() * total;
    let i = 0;
    for (; i < left.length - 1; i++) {
      r -= (left[i] as T).weight;
      if (r < 0) break;
    }
    out.push(...left.splice(i, 1));
  }
  return out;
}

/**
 * Power of two choices over the TTFB EWMA: compare two random candidates, take the faster. An
 * unmeasured provider counts as fastest so it gets measured. The rest follow by EWMA.
 */
function powerOfTwo<T extends CandidateView>(list: readonly T[], random: () => number): T[] {
  const ewma = (c: T) => c.latencyEwmaMs ?? 0;
  const i = Math.floor(random() * list.length);
  let j = Math.floor(random() * (list.length - 1));
  if (j >= i) j++;
  const a = list[i] as T;
  const b = list[j] as T;
  const winner = ewma(b) < ewma(a) ? b : a;
  return [
    winner,
    ...stableSort(
      list.filter((c) => c !== winner),
      (x, y) => ewma(x) - ewma(y),
    ),
  ];
}
