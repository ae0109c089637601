import type { HealthSettings, StrategyName } from "./schema.js";

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
  /**
   * The upstream refused the gateway's credentials (401/403): the circuit opens at once, for
   * max_open_seconds, since every request would fail alike until an operator fixes the key.
   */
  credentialsRefused?: boolean;
}

/** Why a circuit opened on refused credentials (also the shared state's reason). */
export const CREDENTIALS_REFUSED = "the upstream refused the gateway's credentials";

export type StateChange = {
  id: string;
  from: ProviderState;
  to: ProviderState;
  reason: string;
  /** Set when another replica made the change and this one only learned of it: its id, or "fleet" when unknown. */
  origin?: string;
};

/**
 * What replicas share about one provider: everything but the local in-flight count, the
 * half-open probe flag and the failure window's timestamps (the shared store keeps those itself).
 */
export interface SharedProviderView {
  state: ProviderState;
  /** For cooldown and open: how long the state still lasts. */
  remainingMs: number;
  openMs: number;
  consecutive: number;
  requests: number;
  successes: number;
  failures: number;
  ewma: number | null;
}

/**
 * Everything routing remembers about providers, behind one interface so it can live in Redis and
 * be shared by several replicas (src/fleet/). This in-memory version is the single-process default.
 */
export interface RoutingState {
  /**
   * May a request be sent there now? In half-open, true exactly once (the probe). A shared state
   * answers with a promise only when it must ask the fleet (the half-open probe claim).
   */
  tryAcquire(id: string, maxConcurrency: number | undefined): boolean | Promise<boolean>;
  /** Count a request in flight whatever the state (single-provider mode). */
  forceAcquire(id: string): void;
  release(id: string): void;
  success(id: string, ttfbMs: number | undefined): void;
  failure(id: string, info: FailureInfo): void;
  /** Active health check result. */
  probed(id: string, ok: boolean): void;
  /** A round-robin cursor per route. */
  nextCursor(routeKey: string): number;
  /** The strategy chosen at run time for a route (by its key), if any. */
  strategy(routeKey: string): StrategyName | undefined;
  setStrategy(routeKey: string, name: StrategyName): void;
  snapshot(id: string): ProviderSnapshot;
  /** Forget every provider's record, cursor and run-time strategy; in-flight counts stay. */
  reset(): void;
}

/** The in-memory state, with what a shared state needs to use it as its local mirror. */
export interface MemoryRoutingState extends RoutingState {
  tryAcquire(id: string, maxConcurrency: number | undefined): boolean;
  /** What this process knows about a provider, as replicas share it. */
  view(id: string): SharedProviderView;
  /**
   * Take the fleet's word for a provider (the local in-flight count stays); reports a state
   * change like any other, with `origin` when another replica caused it.
   */
  adopt(id: string, view: SharedProviderView, reason: string, origin?: string): void;
  /** Take the fleet's run-time strategies, replacing this process's. */
  adoptStrategies(overrides: ReadonlyMap<string, StrategyName>): void;
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
): MemoryRoutingState {
  const baseOpenMs = health.cooldown_seconds * 1000;
  const fresh = (): Entry => ({
    state: "active",
    inFlight: 0,
    requests: 0,
    successes: 0,
    failures: 0,
    ewma: null,
    until: 0,
    openMs: baseOpenMs,
    consecutive: 0,
    window: [],
    probing: false,
  });
  const entries = new Map(ids.map((id) => [id, fresh()]));
  const cursors = new Map<string, number>();
  const strategies = new Map<string, StrategyName>();

  const get = (id: string): Entry => {
    const e = entries.get(id);
    if (!e) throw new Error(`unknown provider ${id}`);
    // Timed states expire on read: no timers to leak.
    if (e.state === "cooldown" && now() >= e.until) move(id, e, "active", "cooldown over");
    if (e.state === "open" && now() >= e.until) move(id, e, "half_open", "probe allowed");
    return e;
  };
  const move = (id: string, e: Entry, to: ProviderState, reason: string, origin?: string): void => {
    if (e.state === to) return;
    const from = e.state;
    e.state = to;
    onChange({ id, from, to, reason, ...(origin !== undefined && { origin }) });
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
      if (info.credentialsRefused) {
        e.probing = false;
        // Not a blip to ride out: out of rotation for as long as a circuit ever stays open. The
        // half-open probe after it finds out whether the key was fixed.
        e.openMs = health.max_open_seconds * 1000;
        open(id, e, CREDENTIALS_REFUSED);
        return;
      }
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
    strategy: (routeKey) => strategies.get(routeKey),
    setStrategy(routeKey, name) {
      strategies.set(routeKey, name);
    },
    view(id) {
      const e = get(id);
      const timed = e.state === "cooldown" || e.state === "open";
      return {
        state: e.state,
        remainingMs: timed ? Math.max(0, e.until - now()) : 0,
        openMs: e.openMs,
        consecutive: e.consecutive,
        requests: e.requests,
        successes: e.successes,
        failures: e.failures,
        ewma: e.ewma,
      };
    },
    adopt(id, v, reason, origin) {
      const e = get(id);
      Object.assign(e, {
        until: now() + v.remainingMs,
        openMs: v.openMs,
        consecutive: v.consecutive,
        requests: v.requests,
        successes: v.successes,
        failures: v.failures,
        ewma: v.ewma,
      });
      // The fleet keeps the failure window; a local copy would only disagree with it.
      e.window = [];
      if (e.state !== v.state) e.probing = false;
      move(id, e, v.state, reason, origin);
    },
    adoptStrategies(overrides) {
      strategies.clear();
      for (const [k, v] of overrides) strategies.set(k, v);
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
      strategies.clear();
    },
  };
}
