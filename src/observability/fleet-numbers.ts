import { REQUEST_OUTCOMES, type RequestOutcome } from "../events/index.js";
import { createRing } from "./ring.js";
import { createTimeSeries, type Series } from "./series.js";
import { computeWindowStats, LATENCY_KEYS, type LatencyKey, type RequestSample, type WindowStats } from "./stats.js";

/** Finished requests the rolling stats cover, on one replica and across the fleet alike. */
export const DEFAULT_WINDOW_SIZE = 2000;
/** Width of one time-series bucket. */
export const DEFAULT_BUCKET_SECONDS = 10;
/** How far back the time series reaches. */
export const DEFAULT_SERIES_MINUTES = 60;

/** Where the headline numbers come from: every replica's requests, or this replica's alone. */
export type NumbersScope = "fleet" | "replica";

/** The fleet's rolling stats: the same figures as one replica's, over every replica's requests. */
export interface FleetWindow extends WindowStats {
  /** How many replicas (or workers) the window's requests came from. */
  replicas: number;
  window_size: number;
}

export interface FleetSeries extends Series {
  /** How many replicas (or workers) the buckets' requests came from. */
  replicas: number;
}

/**
 * The headline numbers of several replicas (through Redis) or workers (through the cluster
 * primary): each finished request is shared, and the stats and series are computed from all of
 * them with the functions one replica uses for its own.
 */
export interface FleetNumbers {
  /** Share one finished request. Never throws and never waits: the request is already over. */
  add(sample: RequestSample): void;
  /** The fleet's window, or undefined when it cannot be had now (the caller shows its own, saying so). */
  stats(): Promise<FleetWindow | undefined>;
  series(minutes: number): Promise<FleetSeries | undefined>;
}

/** One sample as it travels between replicas: short keys, latencies in LATENCY_KEYS order. */
export interface WireSample {
  o: RequestOutcome;
  p: string | null;
  m: string;
  l: (number | null)[];
  /** The replica (or worker) it finished on. */
  r: string;
}

export function toWire(s: RequestSample, replica: string): WireSample {
  return { o: s.outcome, p: s.provider, m: s.model, l: LATENCY_KEYS.map((k) => s.latencyMs[k]), r: replica };
}

/** A sample from another replica, checked field by field (it crossed a process boundary); undefined when malformed. */
export function fromWire(raw: unknown): { sample: RequestSample; replica: string } | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const w = raw as Partial<Record<keyof WireSample, unknown>>;
  if (!(REQUEST_OUTCOMES as readonly unknown[]).includes(w.o) || typeof w.m !== "string" || typeof w.r !== "string") return undefined;
  if (w.p !== null && typeof w.p !== "string") return undefined;
  if (!Array.isArray(w.l) || w.l.length !== LATENCY_KEYS.length || !w.l.every((v) => v === null || typeof v === "number")) return undefined;
  const l = w.l as (number | null)[];
  const latencyMs = Object.fromEntries(LATENCY_KEYS.map((k, i) => [k, l[i] ?? null])) as Record<LatencyKey, number | null>;
  return { sample: { outcome: w.o as RequestOutcome, provider: w.p, model: w.m, latencyMs }, replica: w.r };
}

export interface SampleWindow {
  add(sample: RequestSample, replica: string): void;
  stats(): FleetWindow;
  series(minutes: number): FleetSeries;
}

/**
 * Several sources' samples in one process (the cluster primary for its workers): a window of the
 * last `windowSize` and a time series, as the monitor keeps, plus who contributed. Bounded like
 * the monitor: a ring, a ring of buckets, and one timestamp per source.
 */
export function createSampleWindow(o: {
  now: () => number;
  random: () => number;
  windowSize?: number;
  bucketSeconds?: number;
  keepMinutes?: number;
}): SampleWindow {
  const ring = createRing<{ sample: RequestSample; replica: string }>(o.windowSize ?? DEFAULT_WINDOW_SIZE);
  const series = createTimeSeries({
    now: o.now,
    random: o.random,
    bucketSeconds: o.bucketSeconds ?? DEFAULT_BUCKET_SECONDS,
    keepMinutes: o.keepMinutes ?? DEFAULT_SERIES_MINUTES,
  });
  // When each source last finished a request; sources are the workers, a handful.
  const lastSeen = new Map<string, number>();
  return {
    add(sample, replica) {
      ring.push({ sample, replica });
      series.add(sample);
      lastSeen.set(replica, o.now());
    },
    stats() {
      const items = ring.toArray();
      return { ...computeWindowStats(items.map((i) => i.sample)), replicas: new Set(items.map((i) => i.replica)).size, window_size: ring.capacity };
    },
    series(minutes) {
      const since = o.now() - minutes * 60_000;
      return { ...series.read(minutes), replicas: [...lastSeen.values()].filter((t) => t >= since).length };
    },
  };
}
