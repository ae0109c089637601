export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Per-key limits on chat requests: a token bucket for requests per minute and a counter of open
 * streams. Behind an interface so the state can live in Redis for several replicas (src/fleet/),
 * which is why answers may be promises.
 */
export interface KeyLimiter {
  /** Take one request from the key's minute budget; returns ms to wait when it is empty. */
  takeRequest(key: string, rpm: number): TakeResult | Promise<TakeResult>;
  /** Claim a stream slot; false when the key already has `max` open. */
  openStream(key: string, max: number): boolean | Promise<boolean>;
  /** Give back one slot this process claimed for the key. */
  closeStream(key: string): void;
  openStreams(key: string): number | Promise<number>;
}

/** The in-memory limiter answers at once; a shared one falls back to it. */
export interface MemoryKeyLimiter extends KeyLimiter {
  takeRequest(key: string, rpm: number): TakeResult;
  openStream(key: string, max: number): boolean;
  openStreams(key: string): number;
}

/** In-memory limiter; `now` is injected so tests can move time. */
export function createMemoryLimiter(now: () => number): MemoryKeyLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const streams = new Map<string, number>();
  return {
    takeRequest(key, rpm) {
      if (rpm <= 0) return { ok: true };
      const t = now();
      const b = buckets.get(key) ?? { tokens: rpm, at: t };
      // Refill continuously: a full minute's budget per minute, never above it.
      b.tokens = Math.min(rpm, b.tokens + ((t - b.at) * rpm) / 60_000);
      b.at = t;
      buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) * 60_000) / rpm) };
    },
    openStream(key, max) {
      const n = streams.get(key) ?? 0;
      if (max > 0 && n >= max) return false;
      streams.set(key, n + 1);
      return true;
    },
    closeStream(key) {
      const n = (streams.get(key) ?? 1) - 1;
      if (n <= 0) streams.delete(key);
      else streams.set(key, n);
    },
    openStreams: (key) => streams.get(key) ?? 0,
  };
}
