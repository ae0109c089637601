import type { Redis } from "ioredis";
import { DEFAULT_MAX_EVENTS, EventsLostError, type EventLog, type EventLogOptions, type LoggedEvent } from "./event-log.js";
import { createMemoryEventLog } from "./event-log-memory.js";
import { fleetKeys, luaScript } from "./keys.js";
import type { RedisLink } from "./link.js";

// Stream entry ids: event n is `0-n`, so `XREAD … 0-n` returns exactly the events after n; the
// end marker is `1-0`, above every event id.
const END_ID = "1-0";
const entryId = (n: number) => `0-${n}`;

// Append and keep the key alive for the grace period, in one step so order and TTL agree. The
// exact MAXLEN keeps the bound a reader can rely on (one trim per append once full).
const APPEND_LUA = `redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], ARGV[2], 'f', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1`;
// The first end marker wins: "lost" written while the request still ran stays "lost".
const FINISH_LUA = `if #redis.call('XRANGE', KEYS[1], '${END_ID}', '${END_ID}') == 0 then redis.call('XADD', KEYS[1], '${END_ID}', 'end', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

/** How long one XREAD waits before checking whether the log still exists. */
const BLOCK_MS = 1000;

type StreamReply = [string, [string, string[]][]][] | null;

export interface RedisEventLogOptions extends EventLogOptions {
  link: RedisLink;
  prefix: string;
}

/**
 * Events in a Redis stream per request (XADD with MAXLEN, key TTL = the grace period, refreshed
 * while the request runs), and also in this process's memory: a reconnect to the replica that
 * runs the request never needs Redis, one to any other replica reads the stream (XREAD BLOCK).
 * If Redis fails during a request, that request's stream is marked lost: a reader elsewhere gets
 * EventsLostError rather than a silent hole.
 */
export function createRedisEventLog(o: RedisEventLogOptions): EventLog {
  const { link } = o;
  const keys = fleetKeys(o.prefix);
  const local = createMemoryEventLog(o);
  const maxEvents = o.maxEvents ?? DEFAULT_MAX_EVENTS;
  const appendScript = luaScript(APPEND_LUA);
  const finishScript = luaScript(FINISH_LUA);
  // Requests running here whose stream is still complete in Redis.
  const running = new Set<string>();
  // Requests whose stream missed an event: no more appends, and readers are told.
  const broken = new Set<string>();

  const markLost = (requestId: string): void => {
    if (broken.has(requestId)) return;
    broken.add(requestId);
    running.delete(requestId);
  };
  const writeEnd = (requestId: string, why: "done" | "lost"): Promise<boolean> =>
    link.attempt("event log finish", (r) => finishScript(r, [keys.events(requestId), keys.eventsMeta(requestId)], [why, o.graceMs])).then((r) => r.ok);

  // Running requests' streams must not lapse during a long silence (a slow reasoning step).
  const timer = setInterval(() => {
    for (const id of running) void link.attempt("event log ttl", (r) => r.multi().pexpire(keys.events(id), o.graceMs).pexpire(keys.eventsMeta(id), o.graceMs).exec());
    // Tell readers elsewhere as soon as Redis takes writes again.
    for (const id of broken) void writeEnd(id, "lost").then((ok) => ok && broken.delete(id));
  }, Math.max(100, o.graceMs / 3));
  timer.unref();

  const parse = (requestId: string, afterId: number, entries: [string, string[]][]): { events: LoggedEvent[]; end: "done" | "lost" | undefined } => {
    const events: LoggedEvent[] = [];
    let last = afterId;
    for (const [id, fields] of entries) {
      if (id === END_ID) return { events, end: fields[1] === "lost" ? "lost" : "done" };
      const n = Number(id.slice(2));
      if (n !== last + 1) throw new EventsLostError(requestId, last, `the next event kept is ${n}`);
      last = n;
      events.push({ id: n, frame: fields[1] ?? "" });
    }
    return { events, end: undefined };
  };

  const readRemote = async (requestId: string, afterId: number): Promise<LoggedEvent[]> => {
    const r = await link.attempt("event log read", (redis) => redis.xrange(keys.events(requestId), `(${entryId(afterId)}`, "+"));
    if (!r.ok) throw new EventsLostError(requestId, afterId, "Redis is unreachable");
    const { events, end } = parse(requestId, afterId, r.value);
    if (end === "lost") throw new EventsLostError(requestId, afterId, "the replica running it lost Redis");
    return events;
  };

  async function* followRemote(requestId: string, afterId: number, signal: AbortSignal): AsyncGenerator<LoggedEvent> {
    if (!link.isUp()) throw new EventsLostError(requestId, afterId, "Redis is unreachable");
    const conn: Redis = link.duplicate();
    // Its failures surface as a rejected XREAD below; the event itself needs no handling.
    conn.on("error", () => undefined);
    const stop = (): void => conn.disconnect();
    signal.addEventListener("abort", stop, { once: true });
    let last = afterId;
    try {
      while (!signal.aborted) {
        let reply: StreamReply;
        try {
          reply = await conn.xread("COUNT", 100, "BLOCK", BLOCK_MS, "STREAMS", keys.events(requestId), entryId(last));
        } catch (e) {
          if (signal.aborted) return;
          throw new EventsLostError(requestId, last, `Redis read failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (reply === null) {
          // Quiet for a while: fine if the request is still there, lost if its log lapsed.
          if ((await conn.exists(keys.eventsMeta(requestId))) === 0) throw new EventsLostError(requestId, last, "its events lapsed");
          continue;
        }
        const { events, end } = parse(requestId, last, reply[0]?.[1] ?? []);
        for (const e of events) {
          last = e.id;
          yield e;
        }
        if (end === "lost") throw new EventsLostError(requestId, last, "the replica running it lost Redis");
        if (end === "done") return;
      }
    } finally {
      signal.removeEventListener("abort", stop);
      conn.disconnect();
    }
  }

  return {
    async open(requestId, owner) {
      await local.open(requestId, owner);
      const r = await link.attempt("event log open", (redis) => redis.multi().hset(keys.eventsMeta(requestId), "owner", owner).pexpire(keys.eventsMeta(requestId), o.graceMs).exec());
      if (r.ok) running.add(requestId);
      else markLost(requestId);
    },
    append(requestId, id, frame) {
      local.append(requestId, id, frame);
      if (!running.has(requestId)) return;
      void link
        .attempt("event log append", (r) => appendScript(r, [keys.events(requestId), keys.eventsMeta(requestId)], [maxEvents, entryId(id), frame, o.graceMs]))
        .then((res) => res.ok || markLost(requestId));
    },
    finish(requestId) {
      local.finish(requestId);
      const lost = broken.delete(requestId);
      running.delete(requestId);
      void writeEnd(requestId, lost ? "lost" : "done");
    },
    async owner(requestId) {
      const mine = await local.owner(requestId);
      if (mine !== undefined) return mine;
      const r = await link.attempt("event log owner", (redis) => redis.hget(keys.eventsMeta(requestId), "owner"));
      return r.ok && r.value !== null ? r.value : undefined;
    },
    read: (requestId, afterId) => (local.has(requestId) ? local.read(requestId, afterId) : readRemote(requestId, afterId)),
    follow: (requestId, afterId, signal) => (local.has(requestId) ? local.follow(requestId, afterId, signal) : followRemote(requestId, afterId, signal)),
    async close() {
      clearInterval(timer);
      await local.close();
    },
  };
}
