import {
  createMemoryRoutingState,
  STRATEGIES,
  type FailureInfo,
  type HealthSettings,
  type RoutingState,
  type StateChange,
  type StrategyName,
} from "../providers/index.js";
import type { Logger } from "../observability/index.js";
import { fleetKeys, luaScript, parseJson } from "./keys.js";
import type { RedisLink } from "./link.js";
import { healthArgs, ROUTING_LUA, routingMessageSchema, sharedViewSchema, type RoutingOp, type SharedView } from "./routing-lua.js";

export interface SharedRoutingOptions {
  link: RedisLink;
  prefix: string;
  replicaId: string;
  ids: string[];
  health: HealthSettings;
  /** Wall clock (ms) for the local mirror's deadlines. */
  now: () => number;
  onChange: (c: StateChange) => void;
  logger: Logger;
  /** How long the half-open probe claim outlives its holder's last heartbeat. */
  claimTtlMs: number;
  /** Full re-read of the shared records, behind pub/sub. Default 1000 ms. */
  syncMs?: number;
}

/** What the fleet adds to a provider's snapshot. */
export interface SharedExtras {
  /** How many times the circuit opened since the last reset, fleet-wide. */
  circuitOpens: number;
}

export interface SharedRoutingState extends RoutingState {
  /** Keep the probe claims this replica holds alive (called on every heartbeat). */
  refresh(): Promise<void>;
  extras(id: string): SharedExtras;
  /** Push what this replica learned alone, then take the fleet's state (after Redis returns). */
  resync(afterOutage: boolean): Promise<void>;
  stop(): void;
}

// Shared records outlive their last write by a day: counters and EWMAs survive quiet nights, and
// a fleet that is gone leaves nothing behind for long.
const STATE_TTL_MS = 24 * 60 * 60 * 1000;
const CURSOR_LUA = `local v = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return v`;
// Refresh a probe claim only while we still hold it.
const REFRESH_CLAIM_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/**
 * Routing state shared through Redis, behind the same interface as the in-memory one.
 *
 * Reads stay synchronous: every replica keeps a local mirror (an in-memory routing state) and the
 * request path only reads that. Writes run as one Lua script each in Redis, whose reply updates
 * the mirror; state changes (cooldown, open, half-open verdicts) are also published, so every
 * other mirror follows within a pub/sub hop, and a full re-read every `syncMs` repairs anything
 * missed. Only the half-open probe claim waits on Redis (SET NX PX: one probe fleet-wide).
 *
 * When Redis is down the mirror simply becomes the state, exactly as without REDIS_URL; when it
 * returns, cooldowns and open circuits learned alone are pushed, then the fleet's state is taken.
 */
export function createSharedRoutingState(o: SharedRoutingOptions): SharedRoutingState {
  const { link, replicaId: me, logger } = o;
  const keys = fleetKeys(o.prefix);
  const local = createMemoryRoutingState(o.ids, o.health, o.now, o.onChange);
  const run = luaScript(ROUTING_LUA);
  const cursorScript = luaScript(CURSOR_LUA);
  const refreshClaim = luaScript(REFRESH_CLAIM_LUA);
  const health = healthArgs(o.health, o.claimTtlMs, STATE_TTL_MS);

  const localInFlight = (id: string): number => local.snapshot(id).inFlight;
  // Version of each record the mirror holds: a reply or message older than it is ignored.
  const versions = new Map<string, number>();
  // Other replicas' in-flight requests per provider, as of the last reply or re-read.
  const others = new Map<string, number>();
  const opens = new Map<string, number>();
  // Probe claims this replica holds: provider → token.
  const claims = new Map<string, string>();
  // Round-robin positions handed out by the fleet and not used yet, per route.
  const cursors = new Map<string, number[]>();
  // Strategies switched while Redis was down, to push when it returns.
  const unsharedStrategies = new Set<string>();
  let claimSeq = 0;

  const apply = (id: string, raw: unknown, origin?: string): SharedView | undefined => {
    const parsed = sharedViewSchema.safeParse(parseJson(raw));
    if (!parsed.success) {
      logger.error({ provider: id, issues: parsed.error.issues.length }, "unexpected shared provider record; ignored");
      return undefined;
    }
    const v = parsed.data;
    // A reply whose script changed nothing may still carry a state another replica set.
    const by = origin ?? (v.change ? me : "fleet");
    const fromElsewhere = by !== me;
    // `own` is the count of the replica that ran the script: ours in a reply, another's in a message.
    others.set(id, Math.max(0, v.infl - (origin !== undefined && origin !== me ? localInFlight(id) : v.own)));
    if (v.v < (versions.get(id) ?? -1)) return v;
    versions.set(id, v.v);
    opens.set(id, v.opens);
    local.adopt(
      id,
      {
        state: v.state,
        remainingMs: v.rem,
        openMs: v.openMs,
        consecutive: v.cons,
        requests: v.req,
        successes: v.ok,
        failures: v.fail,
        ewma: v.ewma < 0 ? null : v.ewma,
      },
      v.change?.reason ?? "fleet state",
      fromElsewhere ? by : undefined,
    );
    return v;
  };

  /** One routing step in Redis; `wait: "reply"` for a step whose local fallback would break a promise. */
  const callRedis = async (options: { wait: "reply" } | undefined, id: string, op: RoutingOp, args: (string | number)[]): Promise<SharedView | undefined> => {
    const r = await link.attempt(
      `routing ${op}`,
      (redis) =>
        run(
          redis,
          [keys.provider(id), keys.windowOk(id), keys.windowFail(id), keys.probe(id), keys.inflight(id), keys.replicas],
          [op, me, keys.channel, id, ...health, ...args],
        ),
      options,
    );
    return r.ok ? apply(id, r.value) : undefined;
  };
  const call = (id: string, op: RoutingOp, ...args: (string | number)[]): Promise<SharedView | undefined> => callRedis(undefined, id, op, args);

  /** Shared when Redis answers, else local: the one rule for every write. */
  const write = (id: string, op: RoutingOp, args: (string | number)[], fallback: () => void): void => {
    if (!link.isUp()) return fallback();
    void call(id, op, ...args).then((v) => v ?? fallback());
  };

  const readStrategies = async (): Promise<void> => {
    const r = await link.attempt("strategies", (redis) => redis.hgetall(keys.strategies));
    if (!r.ok) return;
    const m = new Map<string, StrategyName>();
    for (const [k, v] of Object.entries(r.value)) if ((STRATEGIES as readonly string[]).includes(v)) m.set(k, v as StrategyName);
    local.adoptStrategies(m);
  };

  link.subscribe(keys.channel, (message) => {
    const parsed = routingMessageSchema.safeParse(parseJson(message));
    if (!parsed.success) return;
    const m = parsed.data;
    if (m.type === "provider") {
      if (o.ids.includes(m.id)) apply(m.id, m.view, m.origin);
    } else if (m.origin !== me) void readStrategies();
  });

  const resync = async (afterOutage: boolean): Promise<void> => {
    if (afterOutage) {
      for (const id of o.ids) {
        const v = local.view(id);
        const inFlight = local.snapshot(id).inFlight;
        versions.set(id, -1);
        await call(id, "merge", v.state, v.remainingMs, v.openMs, "learned while Redis was unreachable", inFlight);
      }
      for (const k of unsharedStrategies) {
        const name = local.strategy(k);
        if (name) await link.attempt("strategies", (r) => r.hset(keys.strategies, k, name));
      }
      unsharedStrategies.clear();
    } else {
      await Promise.all(o.ids.map((id) => call(id, "view")));
    }
    await readStrategies();
  };

  let wasDown = true;
  link.onUp(() => {
    void resync(wasDown).catch((e: unknown) => logger.warn({ err: e }, "routing re-sync failed"));
    wasDown = false;
  });
  link.onDown(() => {
    wasDown = true;
    // Other replicas' load is unknown now; this replica only counts its own.
    others.clear();
    cursors.clear();
  });
  const timer = setInterval(() => {
    if (link.isUp()) void resync(false).catch(() => undefined);
  }, o.syncMs ?? 1000);
  timer.unref();

  return {
    tryAcquire(id, maxConcurrency) {
      if (maxConcurrency !== undefined && localInFlight(id) + (others.get(id) ?? 0) >= maxConcurrency) return false;
      const state = local.snapshot(id).state;
      if (!link.isUp() || state !== "half_open") {
        const ok = local.tryAcquire(id, undefined);
        if (ok && link.isUp()) void call(id, "count");
        return ok;
      }
      // Half-open and the fleet is reachable: the one probe is claimed in Redis, and its reply is
      // waited for (up to the outage bound) rather than the short step deadline. A late reply on a
      // saturated machine must not send every replica to its local state, where each would grant
      // itself a probe; only a Redis that does not answer at all does.
      const token = `${me}#${++claimSeq}`;
      return callRedis({ wait: "reply" }, id, "claim", [token]).then((v) => {
        if (!v) return local.tryAcquire(id, undefined);
        if (v.granted !== 1) return false;
        if (v.state === "half_open") claims.set(id, token);
        local.forceAcquire(id);
        return true;
      });
    },
    forceAcquire(id) {
      local.forceAcquire(id);
      if (link.isUp()) void call(id, "count");
    },
    release(id) {
      local.release(id);
      const token = claims.get(id) ?? "";
      claims.delete(id);
      if (link.isUp()) void call(id, "release", token);
    },
    success(id, ttfbMs) {
      claims.delete(id);
      write(id, "success", [ttfbMs === undefined ? "" : ttfbMs], () => local.success(id, ttfbMs));
    },
    failure(id, info: FailureInfo) {
      claims.delete(id);
      write(id, "failure", [info.rateLimited ? "1" : "0", info.retryAfterMs ?? "", info.credentialsRefused ? "1" : "0"], () => local.failure(id, info));
    },
    probed(id, ok) {
      write(id, "probed", [ok ? "1" : "0"], () => local.probed(id, ok));
    },
    nextCursor(routeKey) {
      // Positions come from one shared counter, fetched ahead so planning never waits on Redis;
      // each is used once fleet-wide. Faster than Redis answers, the local cursor fills in.
      const queue = cursors.get(routeKey) ?? [];
      cursors.set(routeKey, queue);
      const position = queue.shift() ?? local.nextCursor(routeKey);
      if (link.isUp() && queue.length < 4) {
        void link
          .attempt("cursor", (r) => cursorScript(r, [keys.cursor(routeKey)], [STATE_TTL_MS]))
          .then((res) => {
            if (res.ok && typeof res.value === "number") queue.push(res.value - 1);
          });
      }
      return position;
    },
    strategy: (routeKey) => local.strategy(routeKey),
    setStrategy(routeKey, name) {
      local.setStrategy(routeKey, name);
      if (!link.isUp()) {
        unsharedStrategies.add(routeKey);
        return;
      }
      void link
        .attempt("strategies", (r) =>
          r
            .multi()
            .hset(keys.strategies, routeKey, name)
            .publish(keys.channel, JSON.stringify({ type: "strategies", origin: me }))
            .exec(),
        )
        .then((res) => res.ok || unsharedStrategies.add(routeKey));
    },
    snapshot(id) {
      const s = local.snapshot(id);
      return { ...s, inFlight: s.inFlight + (others.get(id) ?? 0) };
    },
    reset() {
      local.reset();
      claims.clear();
      cursors.clear();
      unsharedStrategies.clear();
      if (!link.isUp()) return;
      for (const id of o.ids) void call(id, "reset");
      void link.attempt("strategies", (r) =>
        r
          .multi()
          .del(keys.strategies)
          .publish(keys.channel, JSON.stringify({ type: "strategies", origin: me }))
          .exec(),
      );
    },
    async refresh() {
      await Promise.all([...claims].map(([id, token]) => link.attempt("probe claim", (r) => refreshClaim(r, [keys.probe(id)], [token, o.claimTtlMs]))));
    },
    extras: (id) => ({ circuitOpens: opens.get(id) ?? 0 }),
    resync,
    stop: () => clearInterval(timer),
  };
}
