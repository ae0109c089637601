/** One staged event as it went out: its SSE `id` and the exact frame text. */
export interface LoggedEvent {
  /** 1, 2, 3… per request: consecutive, so a reader can tell when one is missing. */
  id: number;
  frame: string;
}

/**
 * Where a resumable request keeps its events so a reconnect — to this replica or any other — can
 * read every event after the one it last saw, exactly once, and then follow the live rest.
 * Storage only: the pipeline decides ids and frames, and checks `owner()` before resuming.
 */
export interface EventLog {
  /** Start keeping a request's events; only `owner` (a key name) may later read them. */
  open(requestId: string, owner: string): Promise<void>;
  /** Keep one event; ids must go up by one. Never waits: the order of calls is the order kept. */
  append(requestId: string, id: number, frame: string): void;
  /** No more events: followers end after the last one; the log lapses `graceMs` later. */
  finish(requestId: string): void;
  /** Who started the request; undefined when it is unknown or has lapsed. */
  owner(requestId: string): Promise<string | undefined>;
  /** The events kept after `afterId` (0 = all), oldest first. Throws EventsLostError on a hole. */
  read(requestId: string, afterId: number): Promise<LoggedEvent[]>;
  /**
   * Every event after `afterId`, then each new one as it is appended, until `finish()` or
   * `signal` aborts. Throws EventsLostError when events are missing (trimmed, or a replica lost
   * its Redis connection while writing them).
   */
  follow(requestId: string, afterId: number, signal: AbortSignal): AsyncIterable<LoggedEvent>;
  close(): Promise<void>;
}

/** Some events a reader needs are gone: it cannot continue exactly. */
export class EventsLostError extends Error {
  constructor(
    readonly requestId: string,
    readonly afterId: number,
    why: string,
  ) {
    super(`events of request ${requestId} after id ${afterId} are no longer complete: ${why}`);
    this.name = "EventsLostError";
  }
}

export interface EventLogOptions {
  /** How long a finished (or abandoned) request's events are kept. */
  graceMs: number;
  /** Events kept per request; older ones are dropped (readers then get EventsLostError). Default 10 000. */
  maxEvents?: number;
}

export const DEFAULT_MAX_EVENTS = 10_000;
