import { isFailure, type RequestOutcome, type RequestRecord } from "../events/index.js";

export const LATENCY_KEYS = ["prompt_summary", "upstream_ttfb", "reasoning_end", "reasoning_summary", "first_output", "total"] as const;
export type LatencyKey = (typeof LATENCY_KEYS)[number];

/** What the monitor keeps of one finished request: small, so a 2000-long window stays cheap. */
export interface RequestSample {
  outcome: RequestOutcome;
  provider: string | null;
  model: string;
  latencyMs: Record<LatencyKey, number | null>;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface Breakdown {
  requests: number;
  ok: number;
  errors: number;
  /** This key's part of the requests counted in the same breakdown, 0..1. */
  share: number;
}

export interface WindowStats {
  totals: { requests: number; ok: number; errors: number; client_closed: number; aborted: number; rejected: number };
  success_rate: number | null;
  per_provider: Record<string, Breakdown>;
  per_model: Record<string, Breakdown>;
  latency_ms: Record<LatencyKey, Percentiles>;
}

/** Reduces a record to the sample the rolling window keeps. */
export function toSample(r: RequestRecord): RequestSample {
  return {
    outcome: r.outcome,
    provider: r.provider,
    model: r.model,
    latencyMs: {
      prompt_summary: r.timings.prompt_summary,
      upstream_ttfb: r.upstreamTtfbMs,
      reasoning_end: r.timings.reasoning_end,
      reasoning_summary: r.timings.reasoning_summary,
      first_output: r.timings.first_output,
      total: r.timings.total,
    },
  };
}

/**
 * Nearest-rank percentile of an ascending array: the smallest value with at least p% of the
 * samples at or below it. Always an observed value, never an interpolation, so "p99 = 2300 ms"
 * means some request really took 2300 ms.
 */
export function nearestRank(sortedAsc: readonly number[], p: number): number | null {
  if (sortedAsc.length === 0) return null;
  const rank = Math.min(sortedAsc.length, Math.max(1, Math.ceil((p / 100) * sortedAsc.length)));
  return sortedAsc[rank - 1] ?? null;
}

/** p50/p95/p99 of the given values, skipping nulls. */
export function percentiles(values: Iterable<number | null>): Percentiles {
  const xs: number[] = [];
  for (const v of values) if (v !== null && Number.isFinite(v)) xs.push(v);
  xs.sort((a, b) => a - b);
  return { p50: nearestRank(xs, 50), p95: nearestRank(xs, 95), p99: nearestRank(xs, 99) };
}

function tally(into: Map<string, Breakdown>, key: string, outcome: RequestOutcome): void {
  const b = into.get(key) ?? { requests: 0, ok: 0, errors: 0, share: 0 };
  b.requests++;
  if (outcome === "ok") b.ok++;
  if (isFailure(outcome)) b.errors++;
  into.set(key, b);
}

function withShares(m: Map<string, Breakdown>): Record<string, Breakdown> {
  let total = 0;
  for (const b of m.values()) total += b.requests;
  // Keys are client-chosen model names; a null prototype keeps "__proto__" an ordinary key.
  const out = Object.create(null) as Record<string, Breakdown>;
  for (const [k, b] of m) out[k] = { ...b, share: total === 0 ? 0 : b.requests / total };
  return out;
}

/**
 * Aggregates a window of samples. `errors` counts upstream failures only: a rejected request is
 * the caller's mistake and a closed one the caller's choice, and neither says the gateway is sick.
 * Providers' shares are of routed requests (rejected ones never had a provider); models' shares
 * are of all requests. Rejected requests are left out of the latencies, as their near-zero totals
 * would only flatter the percentiles.
 */
export function computeWindowStats(samples: readonly RequestSample[]): WindowStats {
  const totals = { requests: 0, ok: 0, errors: 0, client_closed: 0, aborted: 0, rejected: 0 };
  const perProvider = new Map<string, Breakdown>();
  const perModel = new Map<string, Breakdown>();
  for (const s of samples) {
    totals.requests++;
    if (s.outcome === "ok") totals.ok++;
    else if (isFailure(s.outcome)) totals.errors++;
    else if (s.outcome === "client_closed") totals.client_closed++;
    else if (s.outcome === "aborted") totals.aborted++;
    else totals.rejected++;
    if (s.provider !== null) tally(perProvider, s.provider, s.outcome);
    tally(perModel, s.model, s.outcome);
  }
  const timed = samples.filter((s) => s.outcome !== "rejected");
  const latency = Object.fromEntries(LATENCY_KEYS.map((k) => [k, percentiles(timed.map((s) => s.latencyMs[k]))])) as Record<LatencyKey, Percentiles>;
  return {
    totals,
    success_rate: totals.requests === 0 ? null : totals.ok / totals.requests,
    per_provider: withShares(perProvider),
    per_model: withShares(perModel),
    latency_ms: latency,
  };
}
