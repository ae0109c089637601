import { createMemoryLimiter, type KeyLimiter, type TakeResult } from "./memory-limiter.js";
import { fleetKeys, luaScript, LUA_NOW } from "./keys.js";
import type { RedisLink } from "./link.js";

/**
 * The token bucket of `createMemoryLimiter`, in Redis: refill, take and answer in one script, so
 * concurrent requests on any replicas can never take the same token twice. An idle bucket is full
 * again after a minute, so the key may expire then.
 */
const TAKE_LUA = `${LUA_NOW}
local rpm = tonumber(ARGV[1])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens'))
local at = tonumber(redis.call('HGET', KEYS[1], 'at'))
if tokens == nil or at == nil then tokens, at = rpm, now end
tokens = math.min(rpm, tokens + (now - at) * rpm / 60000)
local ok, retry = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
else
  retry = math.ceil((1 - tokens) * 60000 / rpm)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], 61000)
return { ok, retry }`;

/**
 * Stream slots: one sorted-set entry per open stream, scored by when it lapses. Lapsed entries
 * are dropped before counting, so a slot whose holder died frees itself; live holders push the
 * lapse forward on every heartbeat.
 */
const OPEN_LUA = `${LUA_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

const COUNT_LUA = `${LUA_NOW}
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')`;

/** Re-add rather than only extend: a stream still open after an outage holds its slot again. */
const REFRESH_LUA = `${LUA_NOW}
for i = 1, #ARGV - 1 do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[#ARGV]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[#ARGV])
return 1`;

export interface SharedLimiterOptions {
  link: RedisLink;
  prefix: string;
  replicaId: string;
  /** How long a slot outlives its holder's last heartbeat. */
  slotTtlMs: number;
  /** Monotonic ms for the local fallback's buckets. */
  now: () => number;
}

export interface SharedLimiter extends KeyLimiter {
  takeRequest(key: string, rpm: number): Promise<TakeResult>;
  openStream(key: string, max: number): Promise<boolean>;
  openStreams(key: string): Promise<number>;
  /** Extend the lapse of every slot this replica holds (called on every heartbeat). */
  refresh(): Promise<void>;
}

/** Where one held slot lives, so closing it goes to the right place. */
type Held = { where: "redis"; slot: string } | { where: "local" };

/**
 * A limit check waits for Redis's reply (up to REDIS_OUTAGE_MS), never the short REDIS_TIMEOUT_MS:
 * on a saturated host every reply is late, and falling back then would let each replica grant the
 * whole limit again.
 */
const REPLY = { wait: "reply" } as const;

/**
 * Per-key limits shared by every replica. Redis down (an outage, confirmed by a PING): the
 * in-memory limiter answers, so limits become per replica until Redis returns.
 */
export function createSharedLimiter(o: SharedLimiterOptions): SharedLimiter {
  const { link } = o;
  const keys = fleetKeys(o.prefix);
  const fallback = createMemoryLimiter(o.now);
  const take = luaScript(TAKE_LUA);
  const open = luaScript(OPEN_LUA);
  const count = luaScript(COUNT_LUA);
  const refresh = luaScript(REFRESH_LUA);
  const held = new Map<string, Held[]>();
  let seq = 0;

  const hold = (key: string, h: Held): void => {
    const list = held.get(key) ?? [];
    list.push(h);
    held.set(key, list);
  };

  return {
    async takeRequest(key, rpm): Promise<TakeResult> {
      if (rpm <= 0) return { ok: true };
      const r = await link.attempt("limit rpm", (redis) => take(redis, [keys.rpm(key)], [rpm]), REPLY);
      if (!r.ok || !Array.isArray(r.value)) return fallback.takeRequest(key, rpm);
      const [ok, retry] = r.value as [number, number];
      return ok === 1 ? { ok: true } : { ok: false, retryAfterMs: retry };
    },
    async openStream(key, max) {
      if (max <= 0) {
        hold(key, { where: "local" });
        return fallback.openStream(key, max);
      }
      const slot = `${o.replicaId}#${++seq}`;
      const r = await link.attempt("limit streams", (redis) => open(redis, [keys.streams(key)], [max, slot, o.slotTtlMs]), REPLY);
      if (!r.ok) {
        const ok = fallback.openStream(key, max);
        if (ok) hold(key, { where: "local" });
        return ok;
      }
      if (r.value !== 1) return false;
      hold(key, { where: "redis", slot });
      return true;
    },
    closeStream(key) {
      const list = held.get(key);
      const h = list?.pop();
      if (list && list.length === 0) held.delete(key);
      if (!h || h.where === "local") return fallback.closeStream(key);
      // If this fails the slot lapses on its own: it is no longer refreshed.
      void link.attempt("limit streams", (redis) => redis.zrem(keys.streams(key), h.slot));
    },
    async openStreams(key) {
      const r = await link.attempt("limit streams", (redis) => count(redis, [keys.streams(key)], []), REPLY);
      return r.ok && typeof r.value === "number" ? r.value : fallback.openStreams(key);
    },
    async refresh() {
      const work = [...held].flatMap(([key, list]) => {
        const slots = list.flatMap((h) => (h.where === "redis" ? [h.slot] : []));
        return slots.length === 0 ? [] : [link.attempt("limit refresh", (redis) => refresh(redis, [keys.streams(key)], [...slots, o.slotTtlMs]))];
      });
      await Promise.all(work);
    },
  };
}
