import { messageSize } from "../events/index.js";
import { DEFAULT_ALIVE_CHECK_MS, EventsLostError, type EventLog, type EventLogOptions, type LogEnd, type LoggedMessage, type StreamMeta } from "./event-log.js";

interface Entry {
  meta: StreamMeta;
  messages: LoggedMessage[];
  /** Id of the newest message appended (0 = none yet). */
  lastId: number;
  /** Bytes the messages take (their text), counted against both budgets. */
  bytes: number;
  /** Set once no more messages come; `lost` when one could not be kept. */
  end: LogEnd | undefined;
  /** Followers waiting for the next append or the end. */
  waiters: Set<() => void>;
  expiry: NodeJS.Timeout | undefined;
}

export interface MemoryEventLog extends EventLog {
  /** Does this process hold the request's messages (so a reader here needs no Redis)? */
  has(requestId: string): boolean;
}

/**
 * Messages in this process's memory, bounded twice: per request (`maxBytesPerRequest`, past which
 * that request's log ends `lost` and its messages are let go) and over all requests
 * (`maxTotalBytes`: finished logs are evicted oldest first, then the growing one is lost). A
 * finished log lapses `graceMs` later; a running one stays until finished, so the stream edge
 * must call `finish()` however the request ends.
 */
export function createMemoryEventLog(opts: EventLogOptions): MemoryEventLog {
  const logs = new Map<string, Entry>();
  // Finished logs in the order they finished: the first to evict when memory is short.
  const finished = new Set<string>();
  let totalBytes = 0;
  const aliveCheckMs = opts.aliveCheckMs ?? DEFAULT_ALIVE_CHECK_MS;

  const wake = (e: Entry): void => {
    for (const w of e.waiters) w();
    e.waiters.clear();
  };
  const release = (e: Entry): void => {
    totalBytes -= e.bytes;
    e.bytes = 0;
    e.messages = [];
  };
  const remove = (requestId: string): void => {
    const e = logs.get(requestId);
    if (!e) return;
    clearTimeout(e.expiry);
    release(e);
    e.end ??= "lost";
    wake(e);
    logs.delete(requestId);
    finished.delete(requestId);
  };
  const end = (requestId: string, e: Entry, how: LogEnd): void => {
    if (e.end) return;
    e.end = how;
    if (how === "lost") release(e);
    wake(e);
    finished.add(requestId);
    e.expiry = setTimeout(() => remove(requestId), opts.graceMs);
    e.expiry.unref();
  };
  /** Room for `bytes` more: evict finished logs, oldest first, until there is. */
  const makeRoom = (bytes: number): boolean => {
    for (const id of finished) {
      if (totalBytes + bytes <= opts.maxTotalBytes) break;
      remove(id);
    }
    return totalBytes + bytes <= opts.maxTotalBytes;
  };
  const after = (requestId: string, e: Entry, afterId: number): LoggedMessage[] => {
    if (e.end === "lost") throw new EventsLostError(requestId, afterId, "they were not all kept (over the resumable budget, or a write failed)");
    const first = e.messages[0];
    if (first && first.id > afterId + 1) throw new EventsLostError(requestId, afterId, `only events from id ${first.id} are kept`);
    if (afterId >= e.lastId) return [];
    return e.messages.slice(first ? Math.max(0, afterId - first.id + 1) : 0);
  };

  return {
    has: (requestId) => logs.has(requestId),
    keptBytes: () => totalBytes,
    async open(requestId, meta) {
      if (logs.has(requestId)) return false;
      logs.set(requestId, { meta, messages: [], lastId: 0, bytes: 0, end: undefined, waiters: new Set(), expiry: undefined });
      return true;
    },
    append(requestId, m) {
      const e = logs.get(requestId);
      if (!e || e.end) return false;
      const size = messageSize(m);
      if (m.id !== e.lastId + 1 || e.bytes + size > opts.maxBytesPerRequest || !makeRoom(size)) {
        end(requestId, e, "lost");
        return false;
      }
      e.lastId = m.id;
      e.messages.push(m);
      e.bytes += size;
      totalBytes += size;
      wake(e);
      return true;
    },
    finish(requestId, how = "done") {
      const e = logs.get(requestId);
      if (e) end(requestId, e, how);
    },
    drop: remove,
    meta: async (requestId) => logs.get(requestId)?.meta,
    async read(requestId, afterId) {
      const e = logs.get(requestId);
      return e ? after(requestId, e, afterId) : [];
    },
    async *follow(requestId, afterId, signal, alive) {
      let last = afterId;
      while (!signal.aborted) {
        const e = logs.get(requestId);
        if (!e) throw new EventsLostError(requestId, last, "its events lapsed");
        for (const x of after(requestId, e, last)) {
          if (signal.aborted) return;
          last = x.id;
          yield x;
        }
        if (e.end || signal.aborted) return;
        const woken = await new Promise<boolean>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            e.waiters.delete(done);
            resolve(true);
          };
          // Quiet for a while: wake up to ask whether the replica running it is still there.
          const timer = setTimeout(() => {
            e.waiters.delete(done);
            signal.removeEventListener("abort", done);
            resolve(false);
          }, aliveCheckMs);
          e.waiters.add(done);
          signal.addEventListener("abort", done, { once: true });
        });
        if (!woken && alive && !(await alive())) throw new EventsLostError(requestId, last, "the replica running it stopped");
      }
    },
    async close() {
      for (const id of [...logs.keys()]) remove(id);
    },
  };
}
