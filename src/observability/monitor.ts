import { isFailure, type RequestObserver, type RequestRecord } from "../events/index.js";
import { DEFAULT_WINDOW_SIZE } from "./fleet-numbers.js";
import { createRing } from "./ring.js";
import { createTimeSeries, type Series } from "./series.js";
import { computeWindowStats, toSample, type RequestSample, type WindowStats } from "./stats.js";

export type MonitorLevel = "info" | "warn" | "error";
/** The known event types; other rooms may add their own without a change here. */
export type MonitorEventType =
  "request" | "retry" | "failover" | "summary_fallback" | "validation" | "cooldown" | "circuit" | "strategy" | "reset" | (string & {});

/** One line of `GET /v1/monitoring/logs`. */
export interface MonitorEvent {
  ts: string;
  level: MonitorLevel;
  type: MonitorEventType;
  message: string;
  request_id?: string;
  provider?: string;
  model?: string;
}

/** What `record()` takes: `ts` defaults to the monitor's clock. */
export type MonitorEventInput = Omit<MonitorEvent, "ts"> & { ts?: string };

/** Schema-checked answers of one provider, over the last `window_size` checks. */
export interface ValidationTally {
  checked: number;
  failed: number;
}

export type MonitorStats = WindowStats & {
  /** Checked answers per provider (`response_format`): a provider whose answers keep failing shows here. */
  validation: Record<string, ValidationTally>;
  uptime_seconds: number;
  in_flight: number;
  /** How many finished requests the window holds at most: the totals cover the last this many. */
  window_size: number;
};

export interface MonitorHealth {
  status: "ok";
  uptime_seconds: number;
  in_flight: number;
  requests_last_minute: number;
  /** Upstream errors over requests finished in the last minute; null when there were none. */
  error_rate_last_minute: number | null;
}

export interface Monitor extends RequestObserver {
  record(event: MonitorEventInput): void;
  /** The newest `count` events (default 100, at most `capacity`), oldest first, newest last. */
  logs(count?: number): MonitorEvent[];
  stats(): MonitorStats;
  health(): MonitorHealth;
  /** Requests and per-stage latency over the last `minutes`, in fixed buckets (the dashboard's charts). */
  series(minutes: number): Series;
  /** How many minutes `series` can reach back. */
  readonly seriesMinutes: number;
}

export interface MonitorOptions {
  /** Wall clock in ms; injected so tests control time. */
  now: () => number;
  /** Events kept for `logs()`; default 1000. */
  capacity?: number;
  /** Finished requests the rolling stats cover; default 2000. */
  windowSize?: number;
  /** For sampling latencies in a very busy time bucket; default Math.random. */
  random?: () => number;
  /** Width of one time-series bucket; default 10 s. */
  bucketSeconds?: number;
  /** How much time series is kept; default 60 minutes. */
  seriesMinutes?: number;
}

export const DEFAULT_LOG_COUNT = 100;

/** One second of the last-minute counters. */
interface SecondBucket {
  second: number;
  requests: number;
  errors: number;
}

/**
 * Creates the in-process monitor behind `/v1/monitoring/*`. Everything it keeps is bounded: a ring
 * of events, a ring of request samples for the rolling stats, and 60 one-second buckets for the
 * last-minute health figures (exact at any request rate, unlike counting the sample window).
 * Its methods never use `this`, so it can be handed around as a plain observer.
 */
export function createMonitor(opts: MonitorOptions): Monitor {
  const { now } = opts;
  const events = createRing<MonitorEvent>(opts.capacity ?? 1000);
  const window = createRing<RequestSample>(opts.windowSize ?? DEFAULT_WINDOW_SIZE);
  // One entry per checked answer: a request may check several, from several providers.
  const checks = createRing<{ provider: string; valid: boolean }>(opts.windowSize ?? DEFAULT_WINDOW_SIZE);
  const timeSeries = createTimeSeries({
    now,
    random: opts.random ?? Math.random,
    ...(opts.bucketSeconds !== undefined && { bucketSeconds: opts.bucketSeconds }),
    ...(opts.seriesMinutes !== undefined && { keepMinutes: opts.seriesMinutes }),
  });
  const minute: SecondBucket[] = Array.from({ length: 60 }, () => ({ second: -1, requests: 0, errors: 0 }));
  const bootMs = now();
  // Same reason as in metrics: a finished() without started() must not make in_flight negative.
  const open = new Set<string>();

  const uptimeSeconds = (): number => Math.max(0, Math.floor((now() - bootMs) / 1000));

  function record(e: MonitorEventInput): void {
    events.push({ ...e, ts: e.ts ?? new Date(now()).toISOString() });
  }

  function countInMinute(isError: boolean): void {
    const second = Math.floor(now() / 1000);
    const bucket = minute[second % 60];
    if (!bucket) return;
    if (bucket.second !== second) Object.assign(bucket, { second, requests: 0, errors: 0 });
    bucket.requests++;
    if (isError) bucket.errors++;
  }

  function finished(r: RequestRecord): void {
    open.delete(r.id);
    const sample = toSample(r);
    window.push(sample);
    timeSeries.add(sample);
    countInMinute(isFailure(r.outcome));
    const level: MonitorLevel = r.outcome === "ok" ? "info" : isFailure(r.outcome) ? "error" : "warn";
    const via = r.provider === null ? "" : ` via ${r.provider}`;
    const why = r.errorCode === null ? "" : `: ${r.errorCode}${r.errorMessage === null ? "" : ` (${r.errorMessage})`}`;
    record({
      level,
      type: "request",
      message: `${r.outcome} ${r.httpStatus} ${r.model}${via} in ${r.timings.total} ms${why}`,
      request_id: r.id,
      ...(r.provider !== null && { provider: r.provider }),
      model: r.model,
    });
  }

  return {
    // A "request" event is written when a request ends, not when it starts: one line per request
    // keeps the ring useful for longer, and in_flight already shows what is running.
    started: ({ id }) => void open.add(id),
    retry({ id, provider, attempt, status, code }) {
      const message = `retry ${attempt} on ${provider} after ${status ?? "no response"} (${code})`;
      record({ level: "warn", type: "retry", message, request_id: id, provider });
    },
    failover({ id, from, to, reason }) {
      record({ level: "warn", type: "failover", message: `failover ${from} → ${to}: ${reason}`, request_id: id, provider: to });
    },
    summaryFallback({ id, stage, code }) {
      record({ level: "warn", type: "summary_fallback", message: `${stage} fell back to sentences (${code})`, request_id: id });
    },
    validation({ id, provider, valid, attempt, errors, next }) {
      checks.push({ provider, valid });
      if (valid) return;
      const then =
        next?.action === "retry" ? "retrying with the schema restated" : next?.action === "escalate" ? `escalating to ${next.to}` : "no attempts left";
      const why = errors?.[0] === undefined ? "" : `: ${errors[0]}`;
      record({ level: "warn", type: "validation", message: `answer ${attempt} from ${provider} failed its schema${why}; ${then}`, request_id: id, provider });
    },
    finished,
    record,
    logs(count = DEFAULT_LOG_COUNT) {
      return events.last(Number.isFinite(count) ? count : DEFAULT_LOG_COUNT);
    },
    stats() {
      return {
        uptime_seconds: uptimeSeconds(),
        ...computeWindowStats(window.toArray()),
        validation: tallyChecks(checks.toArray()),
        in_flight: open.size,
        window_size: window.capacity,
      };
    },
    series: (minutes) => timeSeries.read(minutes),
    seriesMinutes: timeSeries.keepMinutes,
    health() {
      const current = Math.floor(now() / 1000);
      let requests = 0;
      let errors = 0;
      for (const b of minute) {
        if (current - b.second < 60 && b.second <= current) {
          requests += b.requests;
          errors += b.errors;
        }
      }
      return {
        status: "ok",
        uptime_seconds: uptimeSeconds(),
        in_flight: open.size,
        requests_last_minute: requests,
        error_rate_last_minute: requests === 0 ? null : errors / requests,
      };
    },
  };
}

function tallyChecks(checks: readonly { provider: string; valid: boolean }[]): Record<string, ValidationTally> {
  // Provider ids come from the configuration, but a null prototype costs nothing and keeps "__proto__" ordinary.
  const out = Object.create(null) as Record<string, ValidationTally>;
  for (const c of checks) {
    const t = (out[c.provider] ??= { checked: 0, failed: 0 });
    t.checked++;
    if (!c.valid) t.failed++;
  }
  return out;
}
