import type { HealthSettings } from "./schema.js";

export type ProviderState = "active" | "cooldown" | "open" | "half_open" | "unhealthy";

export interface ProviderSnapshot {
  id: string;
  state: ProviderState;
  inFlight: number;
  requests: number;
  successes: number;
  failures: number;
  successRate: number | null;
  /** EWMA of time to first byte, ms; null until the first success. */
  latencyEwmaMs: number | null;
  cooldownRemainingMs: number;
  consecutiveFailures: number;
}

export interface FailureInfo {
  /** 429: rate limited — a cooldown, not a sign the provider is broken. */
  rateLimited: boolean;
  retryAfterMs: number | undefined;
}

export type StateChange = { id: string; from: ProviderState; to: ProviderState; reason: string };

/**
 * Everything routing remembers about providers, behind one interface so it can later live in
 * Redis and be shared by several replicas. This in-memory version is the single-process default.
 */
export interface RoutingState {
  /** May a request be sent there now? In half-open, true exactly once (the probe). */
  tryAcquire(id: string, maxConcurrency: number | undefined): boolean;
  /** Count a request in flight whatever the state (single-provider mode). */
  forceAcquire(id: string): void;
  release(id: string): void;
  success(id: string, ttfbMs: number | undefined): void;
  failure(id: string, info: FailureInfo): void;
  /** Active health check result. */
  probed(id: string, ok: boolean): void;
  /** A round-robin cursor per route. */
  nextCursor(routeKey: string): number;
  snapshot(id: string): ProviderSnapshot;
  reset(): void;
}

const EWMA_ALPHA = 0.3;

interface Entry {
  state: ProviderState;
  inFlight: number;
  requests: number;
  successes: number;
  failures: number;
  ewma: number | null;
  /** Until when cooldown/open lasts (epoch ms). */
  until: number;
  /** Current open duration; doubles on each failed half-open probe, up to max_open_seconds. */
  openMs: number;
  consecutive: number;
  /** Outcomes inside the rolling window: [time, ok]. */
  window: [number, boolean][];
  probing: boolean;
}

/** In-memory routing state with cooldowns and a per-provider circuit breaker. */
export function createMemoryRoutingState(
  ids: string[],
  health: HealthSettings,
  now: () => number,
  onChange: (c: StateChange) => void = () => undefined,
): RoutingState {
  const baseOpenMs = health.cooldown_seconds * 1000;
  const fresh = (): Entry => ({
    state: "active", inFlight: 0, requests: 0, successes: 0, failures: 0, ewma: null,
    until: 0, openMs: baseOpenMs, consecutive: 0, window: [], probing: false,
  });
  const entries = new Map(ids.map((id) => [id, fresh()]));
  const cursors = new Map<string, number>();

  const get = (id: string): Entry => {
    const e = entries.get(id);
    if (!e) throw new Error(`unknown provider ${id}`);
    // Timed states expire on read: no timers to leak.
    if (e.state === "cooldown" && now() >= e.until) move(id, e, "active", "cooldown over");
    if (e.state === "open" && now() >= e.until) move(id, e, "half_open", "probe allowed");
    return e;
  };
  const move = (id: string, e: Entry, to: ProviderState, reason: string): void => {
    if (e.state === to) return;
    const from = e.state;
    e.state = to;
    onChange({ id, from, to, reason });
  };
  const trim = (e: Entry): void => {
    const horizon = now() - health.window_seconds * 1000;
    while (e.window.length > 0 && (e.window[0] as [number, boolean])[0] < horizon) e.window.shift();
  };
  const open = (id: string, e: Entry, reason: string): void => {
    e.until = now() + e.openMs;
    move(id, e, "open", reason);
  };

  return {
    tryAcquire(id, maxConcurrency) {
      const e = get(id);
      if (maxConcurrency !== undefined && e.inFlight >= maxConcurrency) return false;
      if (e.state === "cooldown" || e.state === "open" || e.state === "unhealthy") return false;
      if (e.state === "half_open") {
        if (e.probing) return false;
        e.probing = true;
      }
      e.inFlight++;
      e.requests++;
      return true;
    },
    forceAcquire(id) {
      const e = get(id);
      e.inFlight++;
      e.requests++;
    },
    release(id) {
      const e = get(id);
      e.inFlight = Math.max(0, e.inFlight - 1);
      // A probe that ended without a verdict (client left) must not block the next one forever.
      if (e.state === "half_open") e.probing = false;
    },
    success(id, ttfbMs) {
      const e = get(id);
      e.successes++;
      e.consecutive = 0;
      e.window.push([now(), true]);
      trim(e);
      if (ttfbMs !== undefined) e.ewma = e.ewma === null ? ttfbMs : EWMA_ALPHA * ttfbMs + (1 - EWMA_ALPHA) * e.ewma;
      if (e.state === "half_open") {
        e.probing = false;
        e.openMs = baseOpenMs;
        // A recovered provider starts with a clean record, or one old failure could reopen it.
        e.window = [[now(), true]];
        move(id, e, "active", "probe succeeded");
      }
    },
    failure(id, info) {
      const e = get(id);
      e.failures++;
      if (info.rateLimited) {
        e.probing = false;
        e.until = now() + (info.retryAfterMs ?? health.cooldown_seconds * 1000);
        move(id, e, "cooldown", info.retryAfterMs !== undefined ? "429 with Retry-After" : "429");
        return;
      }
      e.consecutive++;
      e.window.push([now(), false]);
      trim(e);
      if (e.state === "half_open") {
        e.probing = false;
        e.openMs = Math.min(e.openMs * 2, health.max_open_seconds * 1000);
        open(id, e, "probe failed");
        return;
      }
      const failed = e.window.filter(([, ok]) => !ok).length;
      if (e.consecutive >= health.consecutive_failures) open(id, e, `${e.consecutive} consecutive failure${e.consecutive === 1 ? "" : "s"}`);
      else if (e.window.length >= health.min_requests && failed / e.window.length > health.failure_rate) {
        open(id, e, `failure rate ${Math.round((100 * failed) / e.window.length)}% over ${health.window_seconds}s`);
      }
    },
    probed(id, ok) {
      const e = get(id);
      if (!ok && e.state !== "unhealthy") move(id, e, "unhealthy", "health check failed");
      else if (ok && e.state === "unhealthy") move(id, e, "active", "health check passed");
    },
    nextCursor(routeKey) {
      const n = cursors.get(routeKey) ?? 0;
      cursors.set(routeKey, n + 1);
      return n;
    },
    snapshot(id) {
      const e = get(id);
      const done = e.successes + e.failures;
      return {
        id,
        state: e.state,
        inFlight: e.inFlight,
        requests: e.requests,
        successes: e.successes,
        failures: e.failures,
        successRate: done === 0 ? null : e.successes / done,
        latencyEwmaMs: e.ewma === null ? null : Math.round(e.ewma),
        cooldownRemainingMs: e.state === "cooldown" || e.state === "open" ? Math.max(0, e.until - now()) : 0,
        consecutiveFailures: e.consecutive,
      };
    },
    reset() {
      for (const [id, e] of entries) {
        const inFlight = e.inFlight;
        move(id, e, "active", "reset");
        entries.set(id, { ...fresh(), inFlight });
      }
      cursors.clear();
    },
  };
}
