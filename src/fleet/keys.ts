import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * Every key and channel the fleet uses, under one prefix (REDIS_PREFIX) so several gateways,
 * or tests, can share a Redis server without touching each other.
 */
export function fleetKeys(prefix: string) {
  const provider = (id: string) => `${prefix}provider:${id}`;
  return {
    /** Provider state changes and run-time strategy switches, for every replica's mirror. */
    channel: `${prefix}routing`,
    /** Live replicas: member = replica id, score = when its registration lapses (Redis ms). */
    replicas: `${prefix}replicas`,
    replica: (id: string) => `${prefix}replica:${id}`,
    provider,
    /** The rolling window's good and bad outcomes (sorted by time). */
    windowOk: (id: string) => `${provider(id)}:ok`,
    windowFail: (id: string) => `${provider(id)}:fail`,
    /** The one half-open probe: holder token, with a TTL its holder refreshes. */
    probe: (id: string) => `${provider(id)}:probe`,
    /** In-flight requests per replica (field = replica id). */
    inflight: (id: string) => `${provider(id)}:inflight`,
    cursor: (routeKey: string) => `${prefix}cursor:${routeKey}`,
    strategies: `${prefix}strategies`,
    rpm: (key: string) => `${prefix}limit:rpm:${key}`,
    streams: (key: string) => `${prefix}limit:streams:${key}`,
    events: (requestId: string) => `${prefix}events:${requestId}`,
    eventsMeta: (requestId: string) => `${prefix}events:${requestId}:meta`,
    /** Resumable streams: "cancel this request", heard by the replica running it. */
    cancelChannel: `${prefix}stream-cancel`,
    /** The fleet's last requests (a capped stream): the dashboard's headline numbers. */
    samples: `${prefix}samples`,
    /** Time buckets of the fleet's series: `${seriesPrefix}${index}` (counts), `…:lat`, `…:sum`. */
    seriesPrefix: `${prefix}series:`,
    /** Resumable streams: a reader is attached (TTL, refreshed by the reader's replica). */
    attached: (requestId: string) => `${prefix}attached:${requestId}`,
    /** The AI SDK surface: the request a chat streamed last (key = hash of owner and chat id). */
    chat: (hashed: string) => `${prefix}chat:${hashed}`,
  };
}

export type FleetKeys = ReturnType<typeof fleetKeys>;

/**
 * A Lua script run by digest (EVALSHA), loaded on first use or after a Redis restart
 * (NOSCRIPT). Scripts are how every shared transition stays atomic: no read-modify-write
 * across the network.
 */
export function luaScript(source: string): (r: Redis, keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown> {
  const sha = createHash("sha1").update(source).digest("hex");
  return async (r, keys, args) => {
    try {
      return await r.evalsha(sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith("NOSCRIPT")) return r.eval(source, keys.length, ...keys, ...args);
      throw e;
    }
  };
}

/** Redis server time in ms, inside a script: one clock for every replica's deadlines. */
export const LUA_NOW = `local __t = redis.call('TIME')
local now = tonumber(__t[1]) * 1000 + math.floor(tonumber(__t[2]) / 1000)
`;

/** JSON from Redis (a script reply, a message, a card): undefined instead of a throw when it is not. */
export function parseJson(raw: unknown): unknown {
  if (typeof raw !== "string") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
