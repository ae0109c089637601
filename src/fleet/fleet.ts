import { Gauge, type Registry as PromRegistry } from "prom-client";
import { createStreamControl, type StreamControl } from "./stream-control.js";
import { createChatStreams, type ChatStreams } from "./chat-streams.js";
import { createMemoryLimiter, type KeyLimiter } from "./memory-limiter.js";
import type { FleetNumbers, Logger } from "../observability/index.js";
import { createMemoryRoutingState, type HealthSettings, type RoutingState, type StateChange } from "../providers/index.js";
import type { EventLog, EventLogOptions } from "./event-log.js";
import { createMemoryEventLog } from "./event-log-memory.js";
import { createRedisEventLog } from "./event-log-redis.js";
import { createSharedLimiter, type SharedLimiter } from "./limiter.js";
import { createRedisLink, type RedisLink } from "./link.js";
import { createRedisNumbers } from "./numbers-redis.js";
import { createRegistry, type FleetMember, type ReplicaInfo } from "./registry.js";
import { createSharedRoutingState, type SharedExtras, type SharedRoutingState } from "./routing-state.js";

export interface FleetOptions {
  /** Unset = one replica on its own: in-memory state, a fleet of one. */
  redis?: { url: string; prefix: string; timeoutMs: number; outageMs?: number } | undefined;
  info: ReplicaInfo;
  /** REPLICA_TTL_SECONDS in ms: registration, stream slots and probe claims lapse this long after the last heartbeat. */
  ttlMs: number;
  logger: Logger;
  /** Wall clock (routing deadlines). */
  wallClock: () => number;
  /** Monotonic clock (the local limiter's buckets). */
  now: () => number;
  /** Requests in flight on this replica, for its registration card. */
  inFlight: () => number;
}

/** `redis` in `/v1/monitoring/health`: off = REDIS_URL unset. */
export type RedisHealth = "off" | "up" | "down";

/**
 * The replicas' shared world: routing state, key limits, the replica list and the resumable
 * event log, in Redis when REDIS_URL is set and in this process otherwise. The gateway asks it for
 * each piece; it keeps them alive (heartbeat) and re-syncs them when Redis comes back.
 */
export interface Fleet {
  readonly id: string;
  readonly shared: boolean;
  routingState(ids: string[], health: HealthSettings, onChange: (c: StateChange) => void): RoutingState;
  /** Fleet-only facts about a provider (null without Redis). */
  providerExtras(id: string): SharedExtras | null;
  limiter(): KeyLimiter;
  eventLog(opts: EventLogOptions): EventLog;
  /** Cancel from any replica, and "a reader is attached", for resumable streams. */
  streamControl(): StreamControl;
  /** Which request a chat streamed last, for the AI SDK's resume (`GET /ai-sdk/v1/chat/{chatId}/stream`). */
  chatStreams(): ChatStreams;
  /** The headline numbers of every replica (undefined without Redis: then they are this process's own). */
  numbers(o: { windowSize: number; bucketSeconds: number; keepMinutes: number }): FleetNumbers | undefined;
  members(): Promise<FleetMember[]>;
  /** Is replica `id` still alive (its heartbeat within REPLICA_TTL)? Yes unless known otherwise. */
  isAlive(id: string): Promise<boolean>;
  redis(): RedisHealth;
  /** `gateway_redis_up` (only with REDIS_URL). */
  registerMetrics(prom: PromRegistry): void;
  start(): void;
  /** Leave the replica list and close Redis. */
  close(): Promise<void>;
}

export function createFleet(o: FleetOptions): Fleet {
  const link: RedisLink | undefined = o.redis
    ? createRedisLink({ url: o.redis.url, timeoutMs: o.redis.timeoutMs, outageMs: o.redis.outageMs, logger: o.logger })
    : undefined;
  const prefix = o.redis?.prefix ?? "";
  const registry = createRegistry({ link, prefix, info: o.info, ttlMs: o.ttlMs, inFlight: o.inFlight });
  let routing: SharedRoutingState | undefined;
  let limiter: SharedLimiter | undefined;
  const logs: EventLog[] = [];
  let control: StreamControl | undefined;
  let chats: ChatStreams | undefined;
  let timer: NodeJS.Timeout | undefined;

  const heartbeat = async (): Promise<void> => {
    // Registration first: the in-flight counts of a replica not in the list do not count.
    await registry.heartbeat();
    await Promise.all([routing?.refresh(), limiter?.refresh()]);
  };
  // A replica that comes back (or connects late) is in the list before it shares state.
  link?.onUp(() => void heartbeat());

  return {
    id: o.info.id,
    shared: link !== undefined,
    routingState(ids, health, onChange) {
      if (!link) return createMemoryRoutingState(ids, health, o.wallClock, onChange);
      routing = createSharedRoutingState({
        link,
        prefix,
        replicaId: o.info.id,
        ids,
        health,
        now: o.wallClock,
        onChange,
        logger: o.logger,
        claimTtlMs: o.ttlMs,
      });
      return routing;
    },
    providerExtras: (id) => routing?.extras(id) ?? null,
    limiter() {
      if (!link) return createMemoryLimiter(o.now);
      limiter = createSharedLimiter({ link, prefix, replicaId: o.info.id, slotTtlMs: o.ttlMs, now: o.now });
      return limiter;
    },
    eventLog(opts) {
      const log = link ? createRedisEventLog({ ...opts, link, prefix }) : createMemoryEventLog(opts);
      logs.push(log);
      return log;
    },
    streamControl() {
      control ??= createStreamControl(link, prefix);
      return control;
    },
    chatStreams() {
      chats ??= createChatStreams(link, prefix, o.now);
      return chats;
    },
    numbers: (n) => (link ? createRedisNumbers({ link, prefix, replicaId: o.info.id, ...n }) : undefined),
    members: () => registry.members(),
    isAlive: (id) => registry.isAlive(id),
    redis: () => (link ? link.status() : "off"),
    registerMetrics(prom) {
      new Gauge({
        name: "gateway_resume_kept_bytes",
        help: "Bytes of resumable streams' events this replica keeps for reconnects (bounded by RESUME_MAX_TOTAL_BYTES).",
        registers: [prom],
        collect() {
          this.set(logs.reduce((n, l) => n + l.keptBytes(), 0));
        },
      });
      if (!link) return;
      new Gauge({
        name: "gateway_redis_up",
        help: "1 while this replica reaches Redis (shared state), 0 while it serves with local state.",
        registers: [prom],
        collect() {
          this.set(link.isUp() ? 1 : 0);
        },
      });
    },
    start() {
      if (!link || timer) return;
      // Three beats per TTL: one lost beat never lets a live replica's slots lapse.
      timer = setInterval(() => void heartbeat().catch(() => undefined), o.ttlMs / 3);
      timer.unref();
    },
    async close() {
      clearInterval(timer);
      routing?.stop();
      await Promise.all(logs.map((l) => l.close()));
      if (!link) return;
      await registry.leave();
      await link.close();
    },
  };
}
