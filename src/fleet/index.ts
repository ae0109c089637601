// The fleet room's only door: several replicas (and workers) sharing state through Redis.
export { createFleet, type Fleet, type FleetOptions, type RedisHealth } from "./fleet.js";
export type { FleetMember, ReplicaInfo } from "./registry.js";
export type { SharedExtras } from "./routing-state.js";
export {
  EventLogUnavailableError,
  EventsLostError,
  type EventLog,
  type EventLogOptions,
  type LogEnd,
  type LoggedMessage,
  type StreamMeta,
} from "./event-log.js";
export { createMemoryEventLog, type MemoryEventLog } from "./event-log-memory.js";
export { createRedisEventLog } from "./event-log-redis.js";
export { createStreamControl, type StreamControl } from "./stream-control.js";
export { createChatStreams, MAX_LOCAL_CHATS, type ChatStreams } from "./chat-streams.js";
export { createRedisLink, type RedisLink, type RedisStatus } from "./link.js";
export { createSharedRoutingState, type SharedRoutingState } from "./routing-state.js";
export { createSharedLimiter, type SharedLimiter } from "./limiter.js";
export { createRegistry } from "./registry.js";
export { fleetKeys } from "./keys.js";
export { isPrimary, isWorker, runPrimary, workerMetrics, WORKER_INDEX_ENV, type PrimaryChannel } from "./workers.js";
export { workerNumbers } from "./worker-numbers.js";
export { createRedisNumbers } from "./numbers-redis.js";
export { createMemoryLimiter, type KeyLimiter, type MemoryKeyLimiter, type TakeResult } from "./memory-limiter.js";
