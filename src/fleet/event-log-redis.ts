import type { Redis } from "ioredis";
import { EventLogUnavailableError, EventsLostError, type EventLog, type EventLogOptions, type LogEnd, type LoggedMessage } from "./event-log.js";
import { createMemoryEventLog } from "./event-log-memory.js";
import { fleetKeys, luaScript } from "./keys.js";
import type { RedisLink } from "./link.js";

// Stream entry ids: message n is `0-n`, so `XREAD … 0-n` returns exactly the messages after n;
// the end marker is `1-0`, above every message id.
const END_ID = "1-0";
const entryId = (n: number) => `0-${n}`;

// A log is opened once: an existing one (another request's, however that came about) is never
// taken over, so its owner cannot be rewritten.
const OPEN_LUA = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'instance', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;
// Append and keep the keys alive for the grace period, in one step so order and TTL agree.
const APPEND_LUA = `redis.call('XADD', KEYS[1], ARGV[1], 'm', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;
// The first end marker wins: "lost" written while the request still ran stays "lost".
const FINISH_LUA = `if #redis.call('XRANGE', KEYS[1], '${END_ID}', '${END_ID}') == 0 then redis.call('XADD', KEYS[1], '${END_ID}', 'end', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

/** How long one XREAD waits before checking that the log and its replica are still there. */
const BLOCK_MS = 1000;

type StreamReply = [string, [string, string[]][]][] | null;

export interface RedisEventLogOptions extends EventLogOptions {
  link: RedisLink;
  prefix: string;
}

/**
 * Messages in a Redis stream per request (key TTL = the grace period, refreshed while the request
 * runs), and also in this process's memory: a reconnect to the replica that runs the request
 * never needs Redis, one to any other replica reads the stream (XREAD BLOCK). The memory copy's
 * budgets decide what is kept, so Redis never holds more than this process would. If Redis fails
 * during a request, that request's stream is marked lost: a reader elsewhere is told, never
 * handed a silent hole.
 */
export function createRedisEventLog(o: RedisEventLogOptions): EventLog {
  const { link } = o;
  const keys = fleetKeys(o.prefix);
  const local = createMemoryEventLog(o);
  const openScript = luaScript(OPEN_LUA);
  const appendScript = luaScript(APPEND_LUA);
  const finishScript = luaScript(FINISH_LUA);
  // Requests running here whose stream is still complete in Redis.
  const running = new Set<string>();
  // Requests whose stream missed a message: no more appends, and readers are told.
  const broken = new Set<string>();
  // Messages appended while the log was still being opened in Redis: written, in order, once it is.
  const opening = new Map<string, LoggedMessage[]>();
  // Logs finished while still being opened: their end is written after their messages.
  const finishing = new Map<string, LogEnd>();

  const markLost = (requestId: string): void => {
    if (!running.has(requestId) && broken.has(requestId)) return;
    broken.add(requestId);
    running.delete(requestId);
  };
  const logKeys = (requestId: string) => [keys.events(requestId), keys.eventsMeta(requestId)];
  /**
   * The log's writes wait for Redis's reply (up to REDIS_OUTAGE_MS), not the ordinary step's
   * REDIS_TIMEOUT_MS: their local fallback (the stream marked lost) would break a promise, and a
   * late reply on a saturated host is a write that happened. Appends are fire and forget, so the
   * wait holds up no one.
   */
  const REPLY = { wait: "reply" } as const;
  const writeEnd = (requestId: string, why: LogEnd): Promise<boolean> =>
    link.attempt("event log finish", (r) => finishScript(r, logKeys(requestId), [why, o.graceMs]), REPLY).then((r) => r.ok);

  // Running requests' streams must not lapse during a long silence (a slow reasoning step).
  const timer = setInterval(
    () => {
      for (const id of running)
        void link.attempt("event log ttl", (r) => r.multi().pexpire(keys.events(id), o.graceMs).pexpire(keys.eventsMeta(id), o.graceMs).exec());
      // Tell readers elsewhere as soon as Redis takes writes again.
      for (const id of broken) if (!running.has(id)) void writeEnd(id, "lost").then((ok) => ok && broken.delete(id));
    },
    Math.max(100, o.graceMs / 3),
  );
  timer.unref();

  /** One message to Redis, fire and forget: commands on one connection keep their order. */
  const write = (requestId: string, m: LoggedMessage): void => {
    void link
      .attempt("event log append", (r) => appendScript(r, logKeys(requestId), [entryId(m.id), encode(m), o.graceMs]), REPLY)
      .then((res) => res.ok || markLost(requestId));
  };

  const finishRemote = (requestId: string, how: LogEnd): void => {
    const lost = broken.delete(requestId) || how === "lost";
    running.delete(requestId);
    void writeEnd(requestId, lost ? "lost" : "done");
  };

  const parse = (requestId: string, afterId: number, entries: [string, string[]][]): { messages: LoggedMessage[]; end: LogEnd | undefined } => {
    const messages: LoggedMessage[] = [];
    let last = afterId;
    for (const [id, fields] of entries) {
      if (id === END_ID) return { messages, end: fields[1] === "lost" ? "lost" : "done" };
      const n = Number(id.slice(2));
      if (n !== last + 1) throw new EventsLostError(requestId, last, `the next event kept is ${n}`);
      const m = decode(fields[1]);
      if (!m) throw new EventsLostError(requestId, last, `event ${n} is not one the gateway wrote`);
      last = n;
      messages.push({ id: n, ...m });
    }
    return { messages, end: undefined };
  };

  const readRemote = async (requestId: string, afterId: number): Promise<LoggedMessage[]> => {
    const r = await link.attempt("event log read", (redis) => redis.xrange(keys.events(requestId), `(${entryId(afterId)}`, "+"));
    if (!r.ok) throw new EventsLostError(requestId, afterId, "Redis is unreachable");
    const { messages, end } = parse(requestId, afterId, r.value);
    if (end === "lost") throw new EventsLostError(requestId, afterId, "they were not all kept");
    return messages;
  };

  async function* followRemote(requestId: string, afterId: number, signal: AbortSignal, alive?: () => Promise<boolean>): AsyncGenerator<LoggedMessage> {
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
          // Quiet for a while: fine while the request and its replica are there.
          if ((await conn.exists(keys.eventsMeta(requestId))) === 0) throw new EventsLostError(requestId, last, "its events lapsed");
          if (alive && !(await alive())) throw new EventsLostError(requestId, last, "the replica running it stopped");
          continue;
        }
        const { messages, end } = parse(requestId, last, reply[0]?.[1] ?? []);
        for (const m of messages) {
          last = m.id;
          yield m;
        }
        if (end === "lost") throw new EventsLostError(requestId, last, "they were not all kept");
        if (end === "done") return;
      }
    } finally {
      signal.removeEventListener("abort", stop);
      conn.disconnect();
    }
  }

  return {
    async open(requestId, meta) {
      if (!(await local.open(requestId, meta))) return false;
      opening.set(requestId, []);
      const r = await link.attempt("event log open", (redis) => openScript(redis, [keys.eventsMeta(requestId)], [meta.owner, meta.instance, o.graceMs]), REPLY);
      const early = opening.get(requestId) ?? [];
      opening.delete(requestId);
      if (r.ok && r.value === 0) {
        // Somebody else's log under this id: keep nothing, take nothing over.
        local.drop(requestId);
        return false;
      }
      if (!r.ok) markLost(requestId);
      else {
        running.add(requestId);
        for (const m of early) write(requestId, m);
      }
      const end = finishing.get(requestId);
      finishing.delete(requestId);
      if (end) finishRemote(requestId, end);
      return true;
    },
    append(requestId, m) {
      if (!local.append(requestId, m)) {
        if (running.has(requestId)) markLost(requestId);
        return false;
      }
      const early = opening.get(requestId);
      if (early) early.push(m);
      else if (running.has(requestId)) write(requestId, m);
      return true;
    },
    finish(requestId, how = "done") {
      local.finish(requestId, how);
      if (opening.has(requestId)) finishing.set(requestId, how);
      else finishRemote(requestId, how);
    },
    drop(requestId) {
      local.drop(requestId);
      running.delete(requestId);
      broken.delete(requestId);
      void link.attempt("event log drop", (r) => r.del(...logKeys(requestId)));
    },
    async meta(requestId) {
      const mine = await local.meta(requestId);
      if (mine !== undefined) return mine;
      const r = await link.attempt("event log meta", (redis) => redis.hmget(keys.eventsMeta(requestId), "owner", "instance"));
      if (!r.ok) throw new EventLogUnavailableError("the stream's replica list (Redis) cannot be reached right now");
      const [owner, instance] = r.value;
      return owner === null || owner === undefined ? undefined : { owner, instance: instance ?? "" };
    },
    keptBytes: () => local.keptBytes(),
    read: (requestId, afterId) => (local.has(requestId) ? local.read(requestId, afterId) : readRemote(requestId, afterId)),
    follow: (requestId, afterId, signal, alive) =>
      local.has(requestId) ? local.follow(requestId, afterId, signal) : followRemote(requestId, afterId, signal, alive),
    async close() {
      clearInterval(timer);
      await local.close();
    },
  };
}

/** A message as one stream field: its name and data, as JSON. */
function encode(m: LoggedMessage): string {
  return JSON.stringify(m.event === undefined ? [m.data] : [m.data, m.event]);
}

function decode(field: string | undefined): { event?: string; data: string } | undefined {
  try {
    const v: unknown = JSON.parse(field ?? "");
    if (Array.isArray(v) && typeof v[0] === "string") return typeof v[1] === "string" ? { event: v[1], data: v[0] } : { data: v[0] };
  } catch {
    // Not ours: the caller says the log cannot be read exactly.
  }
  return undefined;
}
