import type { LoggedMessage } from "../events/index.js";

export type { LoggedMessage };

/** Who started a resumable request, and where it runs. */
export interface StreamMeta {
  /** The key name that started it ("" on an open gateway): the only one that may read it. */
  owner: string;
  /** The replica running it; a reader elsewhere watches its heartbeat. */
  instance: string;
}

/**
 * How a request's log ended: `done` once its last message (the surface's own end or failure) is
 * kept; `lost` when a message never made it (Redis failed while writing, or the log outgrew its
 * budget), so a reader can only be told it cannot continue exactly.
 */
export type LogEnd = "done" | "lost";

/**
 * Where a resumable request keeps its messages so a reconnect — to this replica or any other —
 * can read every message after the one it last saw, exactly once, and then follow the live rest.
 * It stores the encoder's messages as objects (`formatSse` writes them out again); the request's
 * id is the gateway's own, so no client can make two requests share a log.
 */
export interface EventLog {
  /**
   * Start keeping a request's messages. A log that already exists is never taken over: the
   * answer is false, and nothing is kept for the newcomer.
   */
  open(requestId: string, meta: StreamMeta): Promise<boolean>;
  /**
   * Keep one message; ids go up by one. Never waits and never throws: a message that cannot be
   * kept (out of order, over the budget) ends the log as `lost` instead, and the answer is false —
   * the request is no longer resumable. (A Redis write that fails later also ends it `lost`.)
   */
  append(requestId: string, m: LoggedMessage): boolean;
  /** No more messages: followers end after the last one; the log lapses `graceMs` later. */
  finish(requestId: string, end?: LogEnd): void;
  /** Forget a request's messages now (nobody may resume it). */
  drop(requestId: string): void;
  /**
   * Who started the request and where it runs; undefined when unknown or lapsed. Throws
   * EventLogUnavailableError when that cannot be known now (Redis unreachable).
   */
  meta(requestId: string): Promise<StreamMeta | undefined>;
  /** The messages kept after `afterId` (0 = all), oldest first. Throws EventsLostError on a hole. */
  read(requestId: string, afterId: number): Promise<LoggedMessage[]>;
  /**
   * Every message after `afterId`, then each new one as it is appended, until the log ends or
   * `signal` aborts. Throws EventsLostError when messages are missing. `alive` is asked while the
   * log is quiet: false (its replica stopped) ends the wait with EventsLostError.
   */
  follow(requestId: string, afterId: number, signal: AbortSignal, alive?: () => Promise<boolean>): AsyncIterable<LoggedMessage>;
  /** Bytes of messages this process keeps now, over every request (the RESUME_MAX_TOTAL_BYTES bound). */
  keptBytes(): number;
  close(): Promise<void>;
}

/** The log cannot be asked right now (its store is unreachable): neither "yes" nor "no". */
export class EventLogUnavailableError extends Error {
  override readonly name = "EventLogUnavailableError";
}

/** Some messages a reader needs are gone: it cannot continue exactly. */
export class EventsLostError extends Error {
  override readonly name = "EventsLostError";
  constructor(
    readonly requestId: string,
    readonly afterId: number,
    why: string,
  ) {
    super(`events of request ${requestId} after id ${afterId} are no longer complete: ${why}`);
  }
}

export interface EventLogOptions {
  /** How long a finished (or abandoned) request's messages are kept. */
  graceMs: number;
  /** RESUME_MAX_BYTES: one request's messages may take this much; past it the log ends `lost`. */
  maxBytesPerRequest: number;
  /** RESUME_MAX_TOTAL_BYTES: all logs this process keeps; finished ones are evicted first. */
  maxTotalBytes: number;
  /** How often a quiet follower checks that the request's replica is still alive (ms). */
  aliveCheckMs?: number;
}

export const DEFAULT_ALIVE_CHECK_MS = 1_000;
