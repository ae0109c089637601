import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import pTimeout from "p-timeout";
import type { Logger } from "../observability/index.js";

/** What the fleet knows about its Redis connection. */
export type RedisStatus = "up" | "down";

/** Outcome of one attempt: Redis answered, or the caller must go on with local state. */
export type Attempt<T> = { ok: true; value: T } | { ok: false };

export interface RedisLinkOptions {
  url: string;
  /** How long an ordinary step waits before going on with local state (the command still runs). */
  timeoutMs: number;
  /**
   * How long a reply may take before it is an outage: the connection's command timeout, the PING's
   * deadline, and what a step that must not fall back (a key limit) waits. Default 3000 ms.
   */
  outageMs?: number;
  logger: Logger;
  /** How often to check the connection; halved while it is down. Default 1000 ms. */
  pingMs?: number;
}

/**
 * One Redis connection with a health verdict the request path can read synchronously. While the
 * verdict is "down" every `attempt()` fails at once, so no request ever waits on a dead Redis;
 * a background PING decides when it is back. A failed command on an open connection is only a
 * suspicion, confirmed by a PING, so one late reply on a busy machine is not an outage. Each
 * outage is logged once (and its end once), never per failed command.
 */
export interface RedisLink {
  /** The command connection (auto-pipelined, offline queue off, `timeoutMs` per command). */
  readonly client: Redis;
  status(): RedisStatus;
  isUp(): boolean;
  /**
   * Run `fn` when Redis is up. It waits `timeoutMs` (`wait: "reply"`: up to `outageMs`, for a step
   * whose local fallback would break a promise, such as a key limit); a transport failure or
   * timeout is a suspicion a PING confirms. Never throws.
   */
  attempt<T>(what: string, fn: (r: Redis) => Promise<T>, options?: { wait?: "reply" }): Promise<Attempt<T>>;
  /** Receive every message on `channel` (re-subscribed after reconnects). */
  subscribe(channel: string, onMessage: (message: string) => void): void;
  /** Called on each down → up transition (and the first connect): time to re-sync. */
  onUp(fn: () => void): void;
  onDown(fn: () => void): void;
  /** A separate connection for blocking reads (XREAD BLOCK), with no command timeout. */
  duplicate(): Redis;
  close(): Promise<void>;
}

/** What `attempt` sees when the short deadline passes before the reply. */
const LATE = Symbol("late");

/** Redis answered with an error (a script bug, a wrong type): it is up, the command was wrong. */
function isReplyError(e: unknown): boolean {
  return e instanceof Error && e.name === "ReplyError";
}

/**
 * ioredis, loaded when a link is made: a gateway without REDIS_URL never pays for it (≈ 60 ms of
 * every start). It is CommonJS, so `require` loads it synchronously, where the link is made.
 */
const loadIoredis = (): typeof import("ioredis") => createRequire(import.meta.url)("ioredis") as typeof import("ioredis");

export function createRedisLink(opts: RedisLinkOptions): RedisLink {
  const { Redis } = loadIoredis();
  const { logger } = opts;
  const pingMs = opts.pingMs ?? 1000;
  const outageMs = Math.max(opts.outageMs ?? 3000, opts.timeoutMs);
  const common = {
    // Reconnect quickly, but never hammer a Redis that is restarting.
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
    connectTimeout: Math.max(1000, opts.timeoutMs * 4),
    lazyConnect: false,
  };
  const client = new Redis(opts.url, {
    ...common,
    commandTimeout: outageMs,
    // A command issued while disconnected fails at once instead of waiting in a queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
  });
  // The subscriber only ever subscribes, so it may queue that until it is connected. It
  // resubscribes itself after a reconnect: ioredis's own autoResubscribe sends SUBSCRIBE without
  // handling its promise, so a connection that closes again before the reply (a flapping network)
  // left an unhandled rejection, which ends a Node process.
  const subscriber = new Redis(opts.url, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: false });
  const channels = new Map<string, ((message: string) => void)[]>();
  subscriber.on("message", (channel: string, message: string) => {
    for (const fn of channels.get(channel) ?? []) fn(message);
  });
  const subscribe = (names: string[]): void => {
    if (names.length > 0) subscriber.subscribe(...names).catch((e: unknown) => logger.warn({ err: e, channels: names }, "Redis subscribe failed"));
  };
  // Every channel again on each connection (SUBSCRIBE to a channel already subscribed is a no-op).
  subscriber.on("ready", () => subscribe([...channels.keys()]));

  let status: RedisStatus = "down";
  // "down" at start means "not connected yet": only a real failure is worth a warning.
  let announced = false;
  let everUp = false;
  let closed = false;
  let failedPings = 0;
  const ups: (() => void)[] = [];
  const downs: (() => void)[] = [];

  const markDown = (reason: string): void => {
    if (closed) return;
    const wasUp = status === "up";
    status = "down";
    if (!announced) {
      announced = true;
      logger.warn({ reason }, "Redis unreachable: serving with local state until it returns (health says degraded)");
    }
    if (wasUp) for (const fn of downs) fn();
  };
  const markUp = (): void => {
    if (closed || status === "up") return;
    status = "up";
    failedPings = 0;
    if (announced) logger.info("Redis reachable again: re-syncing shared state");
    else if (!everUp) logger.info("connected to Redis: routing state and key limits are shared");
    announced = false;
    everUp = true;
    for (const fn of ups) fn();
  };

  client.on("ready", markUp);
  client.on("close", () => markDown("connection closed"));
  // ioredis emits an error per failed reconnect; the verdict above already says it once.
  client.on("error", (e: Error) => markDown(e.message));
  subscriber.on("error", () => undefined);

  const ping = async (): Promise<boolean> => {
    if (closed || client.status !== "ready") return false;
    try {
      await client.ping();
      markUp();
      return true;
    } catch (e) {
      markDown(e instanceof Error ? e.message : String(e));
      // A connection that swallows commands without closing (a cut network) is replaced.
      if (++failedPings >= 2) {
        failedPings = 0;
        client.disconnect(true);
      }
      return false;
    }
  };
  // One slow reply is not an outage (a busy event loop fires timers late): a PING decides.
  let confirming: Promise<boolean> | undefined;
  const suspect = (): void => {
    confirming ??= ping().finally(() => (confirming = undefined));
  };
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (closed) return;
    timer = setTimeout(
      () =>
        void ping()
          .then(() => undefined)
          .finally(schedule),
      status === "up" ? pingMs : pingMs / 2,
    );
    timer.unref();
  };
  schedule();

  return {
    client,
    status: () => status,
    isUp: () => status === "up",
    async attempt<T>(what: string, fn: (r: Redis) => Promise<T>, options?: { wait?: "reply" }): Promise<Attempt<T>> {
      if (status !== "up") return { ok: false };
      try {
        const reply = fn(client);
        if (options?.wait === "reply") return { ok: true, value: await reply };
        // A late reply is not an outage: the caller goes on with local state, a PING decides.
        const value = await pTimeout<T | typeof LATE>(reply, { milliseconds: opts.timeoutMs, fallback: () => LATE });
        if (value === LATE) {
          // p-timeout keeps listening to the reply, so a late failure is never unhandled.
          suspect();
          return { ok: false };
        }
        return { ok: true, value };
      } catch (e) {
        if (isReplyError(e)) logger.error({ err: e, op: what }, "Redis refused a command");
        else if (client.status === "ready") suspect();
        else markDown(`${what}: ${e instanceof Error ? e.message : String(e)}`);
        return { ok: false };
      }
    },
    subscribe(channel, onMessage) {
      const list = channels.get(channel);
      if (list) {
        list.push(onMessage);
        return;
      }
      channels.set(channel, [onMessage]);
      subscribe([channel]);
    },
    onUp: (fn) => void ups.push(fn),
    onDown: (fn) => void downs.push(fn),
    duplicate: () => client.duplicate({ commandTimeout: undefined, enableOfflineQueue: true, maxRetriesPerRequest: null, enableAutoPipelining: false }),
    async close() {
      closed = true;
      clearTimeout(timer);
      await Promise.all([client, subscriber].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
