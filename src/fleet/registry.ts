import { z } from "zod";
import { fleetKeys, luaScript, LUA_NOW, parseJson } from "./keys.js";
import type { RedisLink } from "./link.js";

/** Who a replica is: fixed for its life. */
export interface ReplicaInfo {
  id: string;
  version: string;
  /** ISO time the process started. */
  started_at: string;
  host: string;
  pid: number;
  /** 1..N under WORKERS=N, else null. */
  worker: number | null;
}

/** One entry of `fleet` in `GET /v1/monitoring/stats`. */
export interface FleetMember extends ReplicaInfo {
  /** Requests started and not finished, as of its last heartbeat (live for `self`). */
  in_flight: number;
  /** Milliseconds since its last heartbeat (0 for `self`). */
  last_seen_ms: number;
  /** The replica that answered this request. */
  self: boolean;
}

const memberSchema = z.object({
  id: z.string(),
  version: z.string(),
  started_at: z.string(),
  host: z.string(),
  pid: z.number(),
  worker: z.number().nullable(),
  in_flight: z.number(),
  seen_at: z.number(),
});

// Register (or refresh) this replica, and forget replicas whose registration lapsed.
const BEAT_LUA = `${LUA_NOW}
local info = cjson.decode(ARGV[2])
info.seen_at = now
redis.call('SET', KEYS[2], cjson.encode(info), 'PX', ARGV[3])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return 1`;

// Every live registration, with Redis's clock so ages do not depend on replicas' clocks.
const LIST_LUA = `${LUA_NOW}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
local out = { now }
for _, id in ipairs(ids) do
  local v = redis.call('GET', ARGV[1] .. id)
  if v then table.insert(out, v) end
end
return out`;

export interface Registry {
  heartbeat(): Promise<void>;
  members(): Promise<FleetMember[]>;
  /**
   * Is replica `id` alive (registered within its TTL)? This replica always is; without Redis, or
   * while Redis cannot be asked, the answer is yes — "dead" is said only when it is known.
   */
  isAlive(id: string): Promise<boolean>;
  leave(): Promise<void>;
}

/**
 * The replica list: each replica writes its card with a TTL on every heartbeat, so one that dies
 * drops out within REPLICA_TTL_SECONDS. Without Redis (or while it is down) the list is this
 * replica alone.
 */
export function createRegistry(o: { link: RedisLink | undefined; prefix: string; info: ReplicaInfo; ttlMs: number; inFlight: () => number }): Registry {
  const keys = fleetKeys(o.prefix);
  const beat = luaScript(BEAT_LUA);
  const list = luaScript(LIST_LUA);
  const self = (): FleetMember => ({ ...o.info, in_flight: o.inFlight(), last_seen_ms: 0, self: true });

  return {
    async heartbeat() {
      const card = JSON.stringify({ ...o.info, in_flight: o.inFlight() });
      await o.link?.attempt("heartbeat", (r) => beat(r, [keys.replicas, keys.replica(o.info.id)], [o.info.id, card, o.ttlMs]));
    },
    async members() {
      const r = await o.link?.attempt("fleet list", (redis) => list(redis, [keys.replicas], [keys.replica("")]));
      if (!r?.ok || !Array.isArray(r.value)) return [self()];
      const [now, ...cards] = r.value as [number, ...string[]];
      const others = cards.flatMap((c) => {
        const m = memberSchema.safeParse(parseJson(c));
        if (!m.success || m.data.id === o.info.id) return [];
        const { seen_at, ...rest } = m.data;
        return [{ ...rest, last_seen_ms: Math.max(0, now - seen_at), self: false }];
      });
      return [self(), ...others].sort((a, b) => a.started_at.localeCompare(b.started_at) || a.id.localeCompare(b.id));
    },
    async isAlive(id) {
      if (id === o.info.id || !o.link) return true;
      const r = await o.link.attempt("replica alive", (redis) => redis.exists(keys.replica(id)));
      return !r.ok || r.value === 1;
    },
    async leave() {
      await o.link?.attempt("leave", (r) => r.multi().del(keys.replica(o.info.id)).zrem(keys.replicas, o.info.id).exec());
    },
  };
}
