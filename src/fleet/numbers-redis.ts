import { REQUEST_OUTCOMES, type RequestOutcome } from "../events/index.js";
import {
  computeWindowStats,
  emptyCounts,
  fromWire,
  LATENCY_KEYS,
  latencyLists,
  reduceLatencies,
  seriesBucket,
  toWire,
  type BucketLatency,
  type FleetNumbers,
  type LatencyKey,
  type RequestSample,
  type SeriesBucket,
} from "../observability/index.js";
import { fleetKeys, luaScript, LUA_NOW, parseJson } from "./keys.js";
import type { RedisLink } from "./link.js";

export interface RedisNumbersOptions {
  link: RedisLink;
  prefix: string;
  replicaId: string;
  /** Requests the fleet's rolling stats cover (the monitor's window, fleet-wide). */
  windowSize: number;
  bucketSeconds: number;
  keepMinutes: number;
  /** Latencies a bucket keeps (its newest); past this the bucket's percentiles are of its newest. Default 1000. */
  latencyCap?: number;
}

// The window outlives its last write by a day, like the routing records: a fleet that is gone
// leaves nothing behind for long.
const WINDOW_TTL_MS = 24 * 60 * 60 * 1000;

// One finished request: into the window (a capped stream) and into its time bucket (exact counts,
// who contributed, and its latencies up to a cap). The bucket is chosen by Redis's clock, so every
// replica files a request under the same bucket whatever its own clock says.
// KEYS: window stream. ARGV: wire sample, window size, bucket key prefix, bucket ms, outcome,
// bucket TTL ms, window TTL ms, replica id, latencies JSON ("" for a rejected request), latency cap.
const ADD_LUA = `${LUA_NOW}
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 's', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
local b = ARGV[3] .. math.floor(now / tonumber(ARGV[4]))
redis.call('HINCRBY', b, ARGV[5], 1)
redis.call('HSET', b, 'r:' .. ARGV[8], 1)
redis.call('PEXPIRE', b, ARGV[6])
if ARGV[9] ~= '' then
  redis.call('LPUSH', b .. ':lat', ARGV[9])
  redis.call('LTRIM', b .. ':lat', 0, tonumber(ARGV[10]) - 1)
  redis.call('PEXPIRE', b .. ':lat', ARGV[6])
end
return 1`;

// The last `wanted` buckets ending with Redis's now: each one's counts, and either its settled
// latency summary or (still filling, or never read since it closed) its raw latencies.
// ARGV: bucket key prefix, bucket ms, wanted. Returns { current index, {counts, summary, raw}... }.
const SERIES_LUA = `${LUA_NOW}
local p, bucketMs, wanted = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local current = math.floor(now / bucketMs)
local out = { current }
for idx = current - wanted + 1, current do
  local b = p .. idx
  local counts = redis.call('HGETALL', b)
  local sum = ''
  local lat = {}
  if #counts > 0 then
    sum = redis.call('GET', b .. ':sum') or ''
    if sum == '' then lat = redis.call('LRANGE', b .. ':lat', 0, -1) end
  end
  out[#out + 1] = { counts, sum, lat }
end
return out`;

const OUTCOMES = new Set<string>(REQUEST_OUTCOMES);

/**
 * The fleet's headline numbers in Redis: every replica adds each finished request (one script
 * call, not awaited by anyone), and any replica computes the stats and the series from all of
 * them with the monitor's own functions. A bucket that has closed is summarised once, by whoever
 * reads it first, and its raw latencies dropped, so a poll reads one bucket's latencies at most.
 * Redis unreachable: `stats()`/`series()` answer undefined (the caller shows its own numbers and
 * says so), and requests finished meanwhile are missing from the fleet's numbers for good.
 */
export function createRedisNumbers(o: RedisNumbersOptions): FleetNumbers {
  const keys = fleetKeys(o.prefix);
  const add = luaScript(ADD_LUA);
  const read = luaScript(SERIES_LUA);
  const bucketMs = o.bucketSeconds * 1000;
  const keepMs = o.keepMinutes * 60_000 + bucketMs;
  const slots = Math.max(1, Math.ceil((o.keepMinutes * 60) / o.bucketSeconds));
  const cap = o.latencyCap ?? 1000;

  return {
    add(sample: RequestSample) {
      const latencies = sample.outcome === "rejected" ? "" : JSON.stringify(LATENCY_KEYS.map((k) => sample.latencyMs[k]));
      const args = [
        JSON.stringify(toWire(sample, o.replicaId)),
        o.windowSize,
        keys.seriesPrefix,
        bucketMs,
        sample.outcome,
        keepMs,
        WINDOW_TTL_MS,
        o.replicaId,
        latencies,
        cap,
      ];
      void o.link.attempt("fleet sample", (r) => add(r, [keys.samples], args));
    },
    async stats() {
      const r = await o.link.attempt("fleet stats", (redis) => redis.xrevrange(keys.samples, "+", "-", "COUNT", o.windowSize));
      if (!r.ok) return undefined;
      const samples: RequestSample[] = [];
      const replicas = new Set<string>();
      // Newest first from Redis; the window's order does not change any figure.
      for (const [, fields] of r.value) {
        const w = fromWire(parseJson(fields[1]));
        if (!w) continue;
        samples.push(w.sample);
        replicas.add(w.replica);
      }
      return { ...computeWindowStats(samples), replicas: replicas.size, window_size: o.windowSize };
    },
    async series(minutes) {
      const wanted = Math.min(slots, Math.max(1, Math.ceil((minutes * 60) / o.bucketSeconds)));
      const r = await o.link.attempt("fleet series", (redis) => read(redis, [], [keys.seriesPrefix, bucketMs, wanted]));
      if (!r.ok || !Array.isArray(r.value)) return undefined;
      const [current, ...rows] = r.value as [number, ...unknown[]];
      const replicas = new Set<string>();
      const buckets: SeriesBucket[] = [];
      const settled: [string, string][] = [];
      rows.forEach((row, i) => {
        const index = current - wanted + 1 + i;
        const [pairs, summary, raw] = Array.isArray(row) ? (row as [unknown, unknown, unknown]) : [[], "", []];
        const counts = emptyCounts();
        const flat = Array.isArray(pairs) ? (pairs as string[]) : [];
        for (let j = 0; j + 1 < flat.length; j += 2) {
          const field = flat[j] ?? "";
          if (field.startsWith("r:")) replicas.add(field.slice(2));
          else if (OUTCOMES.has(field)) counts[field as RequestOutcome] = Number(flat[j + 1]) || 0;
        }
        let latency = typeof summary === "string" && summary !== "" ? latencyFrom(parseJson(summary)) : undefined;
        if (!latency && Array.isArray(raw) && raw.length > 0) {
          latency = reduceLatencies(latencyLists(raw.map((v) => rowOf(parseJson(v)))));
          // A closed bucket gets no more requests: its summary is final.
          if (index < current) settled.push([`${keys.seriesPrefix}${index}`, JSON.stringify(latency)]);
        }
        buckets.push(seriesBucket(index, o.bucketSeconds, counts, latency ?? null));
      });
      if (settled.length > 0) {
        void o.link.attempt("fleet series summary", (redis) => {
          const m = redis.multi();
          for (const [b, json] of settled) m.set(`${b}:sum`, json, "PX", keepMs).del(`${b}:lat`);
          return m.exec();
        });
      }
      return { bucket_seconds: o.bucketSeconds, minutes: (wanted * o.bucketSeconds) / 60, buckets, replicas: replicas.size };
    },
  };
}

/** One request's latencies from its stored array (LATENCY_KEYS order); malformed entries count as nothing. */
function rowOf(raw: unknown): Record<LatencyKey, number | null> {
  const xs = Array.isArray(raw) ? (raw as unknown[]) : [];
  return Object.fromEntries(LATENCY_KEYS.map((k, i) => [k, typeof xs[i] === "number" ? xs[i] : null])) as Record<LatencyKey, number | null>;
}

/** A settled bucket's summary, if it has the shape this version writes. */
function latencyFrom(raw: unknown): Record<LatencyKey, BucketLatency> | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const ok = LATENCY_KEYS.every((k) => {
    const v = r[k] as Partial<BucketLatency> | undefined;
    return typeof v === "object" && v !== null && (v.p50 === null || typeof v.p50 === "number") && (v.p95 === null || typeof v.p95 === "number");
  });
  return ok ? (raw as Record<LatencyKey, BucketLatency>) : undefined;
}
