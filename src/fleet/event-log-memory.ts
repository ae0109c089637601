import { DEFAULT_MAX_EVENTS, EventsLostError, type EventLog, type EventLogOptions, type LoggedEvent } from "./event-log.js";

interface Entry {
  owner: string;
  events: LoggedEvent[];
  /** Id of the newest event appended (0 = none yet). */
  lastId: number;
  done: boolean;
  /** Followers waiting for the next append or finish. */
  waiters: Set<() => void>;
  expiry: NodeJS.Timeout | undefined;
}

export interface MemoryEventLog extends EventLog {
  /** Does this process hold the request's events (so a reader here needs no Redis)? */
  has(requestId: string): boolean;
}

/**
 * Events in this process's memory. A finished request's events lapse `graceMs` later; a running
 * one's stay until it finishes, so the pipeline must call `finish()` however the request ends.
 */
export function createMemoryEventLog(opts: EventLogOptions): MemoryEventLog {
  const maxEvents = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
  const logs = new Map<string, Entry>();
  const wake = (e: Entry): void => {
    for (const w of e.waiters) w();
    e.waiters.clear();
  };
  const after = (requestId: string, e: Entry, afterId: number): LoggedEvent[] => {
    const first = e.events[0];
    if (first && first.id > afterId + 1) throw new EventsLostError(requestId, afterId, `only events from id ${first.id} are kept`);
    return e.events.filter((x) => x.id > afterId);
  };

  return {
    has: (requestId) => logs.has(requestId),
    async open(requestId, owner) {
      if (!logs.has(requestId)) logs.set(requestId, { owner, events: [], lastId: 0, done: false, waiters: new Set(), expiry: undefined });
    },
    append(requestId, id, frame) {
      const e = logs.get(requestId);
      if (!e || e.done) return;
      if (id !== e.lastId + 1) throw new Error(`event id ${id} of request ${requestId} does not follow ${e.lastId}`);
      e.lastId = id;
      e.events.push({ id, frame });
      if (e.events.length > maxEvents) e.events.shift();
      wake(e);
    },
    finish(requestId) {
      const e = logs.get(requestId);
      if (!e || e.done) return;
      e.done = true;
      wake(e);
      e.expiry = setTimeout(() => logs.delete(requestId), opts.graceMs);
      e.expiry.unref();
    },
    owner: async (requestId) => logs.get(requestId)?.owner,
    async read(requestId, afterId) {
      const e = logs.get(requestId);
      return e ? after(requestId, e, afterId) : [];
    },
    async *follow(requestId, afterId, signal) {
      let last = afterId;
      while (!signal.aborted) {
        const e = logs.get(requestId);
        if (!e) return;
        for (const x of after(requestId, e, last)) {
          if (signal.aborted) return;
          last = x.id;
          yield x;
        }
        if (e.done || signal.aborted) return;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            signal.removeEventListener("abort", done);
            e.waiters.delete(done);
            resolve();
          };
          e.waiters.add(done);
          signal.addEventListener("abort", done, { once: true });
        });
      }
    },
    async close() {
      for (const e of logs.values()) {
        clearTimeout(e.expiry);
        e.done = true;
        wake(e);
      }
      logs.clear();
    },
  };
}
