import type { RequestOutcome } from "../events/index.js";
import { LATENCY_KEYS, nearestRank, type LatencyKey, type RequestSample } from "./stats.js";

/** p50/p95 of one stage in one bucket; `null` when no request in it reached that stage. */
export interface BucketLatency {
  p50: number | null;
  p95: number | null;
}

/** One point of `GET /v1/monitoring/series`: the requests that finished in `[start, start + bucket)`. */
export interface SeriesBucket {
  /** ISO time the bucket starts. */
  start: string;
  requests: number;
  ok: number;
  /** Upstream failures, as in the stats: rejected and closed requests are not errors. */
  errors: number;
  client_closed: number;
  rejected: number;
  requests_per_second: number;
  errors_per_second: number;
  latency_ms: Record<LatencyKey, BucketLatency>;
}

/** The dashboard's time series: evenly spaced buckets, oldest first, empty ones included. */
export interface Series {
  bucket_seconds: number;
  minutes: number;
  buckets: SeriesBucket[];
}

export interface SeriesOptions {
  now: () => number;
  /** Picks which samples a full bucket keeps (reservoir sampling); injected so tests are exact. */
  random: () => number;
  /** Width of one bucket; default 10 s. */
  bucketSeconds?: number;
  /** How far back the series reaches; default 60 minutes. */
  keepMinutes?: number;
  /** Latency samples the current bucket keeps per stage before it starts sampling; default 1000. */
  samplesPerStage?: number;
}

export interface TimeSeries {
  add(sample: RequestSample): void;
  /** The last `minutes` (clamped to what is kept), ending with the bucket that holds now. */
  read(minutes: number): Series;
  readonly bucketSeconds: number;
  readonly keepMinutes: number;
}

interface Slot {
  /** floor(time / bucket width); -1 while unused. A slot whose index is stale is read as empty. */
  index: number;
  counts: Record<RequestOutcome, number>;
  /**
   * Raw latencies of the bucket still filling. When the next bucket starts they are reduced to
   * `latency` and dropped, so memory is one bucket's samples plus two numbers per stage per slot,
   * however long the process runs and however busy it is.
   */
  samples: Record<LatencyKey, number[]> | null;
  /** How many latencies each stage was offered (for the reservoir's odds). */
  seen: Record<LatencyKey, number> | null;
  latency: Record<LatencyKey, BucketLatency> | null;
}

/** Zero of every outcome: one bucket's counts before its first request. */
export const emptyCounts = (): Record<RequestOutcome, number> => ({ ok: 0, upstream_error: 0, stream_error: 0, client_closed: 0, rejected: 0, aborted: 0 });
const perStage = <T>(make: () => T): Record<LatencyKey, T> => Object.fromEntries(LATENCY_KEYS.map((k) => [k, make()])) as Record<LatencyKey, T>;
const NO_LATENCY: BucketLatency = { p50: null, p95: null };

/** p50/p95 per stage of one bucket's latencies (nearest rank, as the stats). */
export function reduceLatencies(samples: Record<LatencyKey, number[]>): Record<LatencyKey, BucketLatency> {
  const out = perStage<BucketLatency>(() => NO_LATENCY);
  for (const k of LATENCY_KEYS) {
    const xs = [...samples[k]].sort((a, b) => a - b);
    out[k] = { p50: nearestRank(xs, 50), p95: nearestRank(xs, 95) };
  }
  return out;
}

/** One stage-by-stage list per latency key, from the samples' latencies (nulls and rejected requests left out by the caller). */
export function latencyLists(rows: Iterable<Record<LatencyKey, number | null>>): Record<LatencyKey, number[]> {
  const out = perStage<number[]>(() => []);
  for (const row of rows) {
    for (const k of LATENCY_KEYS) {
      const v = row[k];
      if (v !== null && Number.isFinite(v)) out[k].push(v);
    }
  }
  return out;
}

/**
 * One point of the series from a bucket's counts and latencies: the one place both the
 * replica's own series and the fleet's are shaped, so they cannot disagree.
 */
export function seriesBucket(
  index: number,
  bucketSeconds: number,
  c: Record<RequestOutcome, number>,
  latency: Record<LatencyKey, BucketLatency> | null,
): SeriesBucket {
  const requests = c.ok + c.upstream_error + c.stream_error + c.client_closed + c.aborted + c.rejected;
  const errors = c.upstream_error + c.stream_error;
  return {
    start: new Date(index * bucketSeconds * 1000).toISOString(),
    requests,
    ok: c.ok,
    errors,
    client_closed: c.client_closed,
    rejected: c.rejected,
    requests_per_second: requests / bucketSeconds,
    errors_per_second: errors / bucketSeconds,
    latency_ms: latency ?? perStage(() => NO_LATENCY),
  };
}

/**
 * Request counts and per-stage latency percentiles in fixed time buckets (a ring of slots), for
 * the dashboard's charts. Percentiles are exact while a bucket holds at most `samplesPerStage`
 * requests and a uniform sample of them beyond that.
 */
export function createTimeSeries(opts: SeriesOptions): TimeSeries {
  const bucketSeconds = opts.bucketSeconds ?? 10;
  const keepMinutes = opts.keepMinutes ?? 60;
  const cap = opts.samplesPerStage ?? 1000;
  const bucketMs = bucketSeconds * 1000;
  const count = Math.max(1, Math.ceil((keepMinutes * 60) / bucketSeconds));
  const slots: Slot[] = Array.from({ length: count }, () => ({ index: -1, counts: emptyCounts(), samples: null, seen: null, latency: null }));
  // The bucket that still holds raw samples; -1 before the first request.
  let filling = -1;

  const slotOf = (index: number): Slot => slots[index % count] as Slot;

  function settle(index: number): void {
    const slot = slotOf(index);
    if (slot.index === index && slot.samples) {
      slot.latency = reduceLatencies(slot.samples);
      slot.samples = null;
      slot.seen = null;
    }
  }

  function offer(slot: Slot, key: LatencyKey, value: number): void {
    if (!slot.samples || !slot.seen) return;
    const kept = slot.samples[key];
    const seen = ++slot.seen[key];
    if (kept.length < cap) kept.push(value);
    else {
      // Algorithm R: the n-th value replaces a random kept one with probability cap / n.
      const j = Math.floor(opts.random() * seen);
      if (j < cap) kept[j] = value;
    }
  }

  return {
    bucketSeconds,
    keepMinutes,
    add(sample) {
      // A wall clock that steps back must not reopen a settled bucket: count it in the newest.
      const index = Math.max(Math.floor(opts.now() / bucketMs), filling);
      if (index !== filling) {
        if (filling >= 0) settle(filling);
        filling = index;
      }
      const slot = slotOf(index);
      if (slot.index !== index) {
        Object.assign(slot, { index, counts: emptyCounts(), samples: perStage<number[]>(() => []), seen: perStage(() => 0), latency: null });
      }
      slot.counts[sample.outcome]++;
      if (sample.outcome === "rejected") return; // as in the stats: their near-zero times would flatter
      for (const k of LATENCY_KEYS) {
        const v = sample.latencyMs[k];
        if (v !== null && Number.isFinite(v)) offer(slot, k, v);
      }
    },
    read(minutes) {
      const wanted = Math.min(count, Math.max(1, Math.ceil((minutes * 60) / bucketSeconds)));
      const current = Math.floor(opts.now() / bucketMs);
      const buckets: SeriesBucket[] = [];
      for (let index = current - wanted + 1; index <= current; index++) {
        const slot = slotOf(index);
        const live = slot.index === index;
        const latency = !live ? null : (slot.latency ?? (slot.samples ? reduceLatencies(slot.samples) : null));
        buckets.push(seriesBucket(index, bucketSeconds, live ? slot.counts : emptyCounts(), latency));
      }
      return { bucket_seconds: bucketSeconds, minutes: (wanted * bucketSeconds) / 60, buckets };
    },
  };
}
