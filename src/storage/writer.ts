import type { Logger } from "../observability/index.js";
import type { RequestRecord } from "../events/index.js";
import type { Db } from "./db.js";
import { InvalidRecordError, MAX_ROWS_PER_INSERT, insertStatement, type RowToInsert } from "./rows.js";
import { COLUMN_LIMITS, bounded } from "./storable.js";

export interface WriterOptions {
  db: Db;
  batchSize: number;
  flushIntervalMs: number;
  maxQueue: number;
  retryBaseMs: number;
  retryMaxMs: number;
  logger: Logger;
  onDropped?: ((n: number) => void) | undefined;
  onWriteError?: ((e: unknown) => void) | undefined;
  /** Runs before the first write and again after each failure until it succeeds (migrations). */
  prepare?: (() => Promise<unknown>) | undefined;
  /**
   * Unique to this writer (another process, a restart): with a record's sequence number it makes
   * the record's write key, and the suffix of a resent request id's second-choice slot.
   */
  writerId: string;
}

export interface WriterStats {
  queued: number;
  written: number;
  /** Records lost: overflow (oldest first), enqueued after close, or rejected by the database. */
  dropped: number;
  /** Failed attempts to write (or to finish migrations), not failed records. */
  failedWrites: number;
  healthy: boolean;
}

export interface BatchWriter {
  enqueue(record: RequestRecord): void;
  flush(): Promise<void>;
  /** Counts everything still queued as dropped, logs it once, and returns how many. */
  discardQueued(reason: string): number;
  /** Makes sure `prepare` has succeeded; rejects if it cannot. */
  ready(): Promise<void>;
  /** One attempt at `prepare` now; a failure starts the outage backoff like a failed write. */
  prepareNow(): Promise<void>;
  stop(): void;
  stats(): WriterStats;
}

interface Entry {
  seq: number;
  record: RequestRecord;
}

type Attempt = { ok: true } | { ok: false; error: unknown };

// SQLSTATE classes that mean "this data", not "this server": data exceptions (22), integrity
// violations (23), program limits such as an oversized row (54). Retrying these never helps.
const UNWRITABLE = /^(22|23|54)[0-9A-Z]{3}$/;
function isUnwritable(err: unknown): boolean {
  if (err instanceof InvalidRecordError) return true;
  const code = typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
  return typeof code === "string" && UNWRITABLE.test(code);
}

/**
 * The write half of the request log: a bounded in-memory queue drained in batches by one writer
 * at a time, with exponential backoff while the database is down.
 */
export function createBatchWriter(o: WriterOptions): BatchWriter {
  const { db, logger } = o;
  // Oldest first. A record leaves only once written (or rejected by the database).
  let queue: Entry[] = [];
  // The batch being written: out of `queue` so overflow never drops a row mid-INSERT; it goes
  // back to the front if the write fails.
  let inflight: Entry[] = [];
  let seq = 0;
  let written = 0;
  let dropped = 0;
  let failedWrites = 0;
  // False from the first failure until the next success: the outage is logged once, not per try.
  let healthy = true;
  // True while waiting out a backoff, so neither the interval nor enqueue hammers a down server.
  let backingOff = false;
  let backoffMs = o.retryBaseMs;
  let retryTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let droppedAtStop = 0;
  // Records lost to a full queue since the overflow began; logged when it begins and ends.
  let overflowDropped = 0;
  let prepared = o.prepare === undefined;
  let preparing: Promise<void> | undefined;
  // One writer at a time: batches land in order and flush() never races the background loop.
  let chain: Promise<unknown> = Promise.resolve();
  let draining = false;

  const interval = setInterval(kick, o.flushIntervalMs);
  interval.unref();

  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn);
    chain = run.catch(() => undefined);
    return run;
  }

  function drop(n: number): void {
    dropped += n;
    try {
      o.onDropped?.(n);
    } catch {
      // A faulty callback must not turn enqueue into something that throws.
    }
  }

  function ready(): Promise<void> {
    if (prepared || o.prepare === undefined) return Promise.resolve();
    const prepare = o.prepare;
    preparing ??= prepare().then(
      () => void (prepared = true),
      (err: unknown) => {
        preparing = undefined;
        throw err;
      },
    );
    return preparing;
  }

  function overflow(n: number): void {
    if (n <= 0) return;
    if (overflowDropped === 0) logger.warn({ max_queue: o.maxQueue }, "request log: queue full; dropping the oldest records until the database catches up");
    overflowDropped += n;
    drop(n);
  }

  function succeeded(): void {
    if (overflowDropped > 0 && queue.length < o.maxQueue / 2) {
      logger.warn({ dropped: overflowDropped }, "request log: queue no longer full; records were dropped while it was");
      overflowDropped = 0;
    }
    backoffMs = o.retryBaseMs;
    backingOff = false;
    clearTimeout(retryTimer);
    if (!healthy) {
      healthy = true;
      logger.info({ queued: queue.length }, "request log: database reachable again; writing queued records");
    }
  }

  function failed(error: unknown): void {
    failedWrites += 1;
    try {
      o.onWriteError?.(error);
    } catch {
      // The callback is for metrics; it cannot change what happens next.
    }
    if (healthy) {
      healthy = false;
      const err = error instanceof Error ? error.message : String(error);
      logger.warn({ err, queued: queue.length }, "request log: database unavailable; keeping records queued and retrying");
    }
    if (stopped) return;
    backingOff = true;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      backingOff = false;
      kick();
    }, backoffMs);
    retryTimer.unref();
    backoffMs = Math.min(backoffMs * 2, o.retryMaxMs);
  }

  const keyOf = (e: Entry): string => `${o.writerId}.${e.seq.toString(36)}`;

  async function insert(entries: readonly Entry[]): Promise<void> {
    const rows: RowToInsert[] = entries.map((e) => ({ record: e.record, id: e.record.id, writeKey: keyOf(e) }));
    const { sql, params } = insertStatement(rows);
    const landed = new Set((await db.query<{ write_key: string }>(sql, params)).map((r) => r.write_key));
    for (const row of rows) if (!landed.has(row.writeKey)) await placeTaken(row);
  }

  /**
   * A row whose id already exists: written by an earlier attempt of this very batch (its write
   * key is there: nothing to do), or a second request with the same x-request-id, which is kept
   * under `ID~2` — or, when that is taken too, `ID~<write key>`, unique by construction. Three
   * statements at most, however often a client reuses an id.
   */
  async function placeTaken(row: RowToInsert): Promise<void> {
    const base = bounded(row.id, COLUMN_LIMITS.id - 24);
    const candidates = [`${base}~2`, `${base}~${row.writeKey}`];
    const mine = await db.query<{ id: string }>("SELECT id FROM requests WHERE write_key = $1 AND id = ANY($2::text[])", [
      row.writeKey,
      [bounded(row.id, COLUMN_LIMITS.id), ...candidates],
    ]);
    if (mine.length > 0) return;
    for (const id of candidates) {
      const { sql, params } = insertStatement([{ ...row, id }]);
      if ((await db.query(sql, params)).length > 0) {
        logger.info({ request_id: row.id, stored_as: id }, "request log: request id already logged; stored this request under a suffixed id");
        return;
      }
    }
    throw new InvalidRecordError(`request id ${row.id}: every suffixed id is taken`);
  }

  // Writes `inflight` and empties it as records are handled.
  async function writeInflight(): Promise<void> {
    try {
      await insert(inflight);
      written += inflight.length;
      inflight = [];
      return;
    } catch (err) {
      if (!isUnwritable(err)) throw err;
    }
    // One bad record must not hold the batch hostage: one by one, discarding only the rejected.
    for (const entry of [...inflight]) {
      try {
        await insert([entry]);
        written += 1;
      } catch (err) {
        if (!isUnwritable(err)) throw err;
        logger.error({ id: entry.record.id, err: String(err) }, "request log: record rejected by the database; discarded");
        drop(1);
      }
      inflight.shift();
    }
  }

  async function writeNext(): Promise<Attempt> {
    try {
      await ready();
      inflight = queue.splice(0, Math.min(o.batchSize, MAX_ROWS_PER_INSERT));
      if (inflight.length > 0) await writeInflight();
      succeeded();
      return { ok: true };
    } catch (error) {
      failed(error);
      return { ok: false, error };
    } finally {
      if (inflight.length > 0) queue = inflight.concat(queue);
      inflight = [];
    }
  }

  async function drainLoop(): Promise<void> {
    while (!stopped && !backingOff && (!prepared || queue.length > 0)) {
      const attempt = await writeNext();
      // Under a trickle, the next tick (or a full batch) writes the rest: fewer, larger INSERTs.
      if (!attempt.ok || queue.length < o.batchSize) return;
    }
  }

  function kick(): void {
    if (stopped || backingOff || draining || (prepared && queue.length === 0)) return;
    draining = true;
    const done = (): void => void (draining = false);
    exclusive(drainLoop).then(done, done);
  }

  return {
    enqueue(record) {
      if (stopped) {
        // Once, not per record: a late burst during shutdown must not flood the log.
        if (dropped === droppedAtStop) logger.warn({ id: record.id }, "request log: records arriving after close are discarded");
        drop(1);
        return;
      }
      queue.push({ seq: ++seq, record });
      const over = queue.length + inflight.length - o.maxQueue;
      if (over > 0) overflow(queue.splice(0, Math.min(over, queue.length)).length);
      if (queue.length >= o.batchSize) kick();
    },
    flush() {
      const target = seq;
      return exclusive(async () => {
        // Only what is queued now: a steady stream of new records cannot keep flush() running.
        while (!prepared || (queue[0] !== undefined && queue[0].seq <= target)) {
          const attempt = await writeNext();
          if (!attempt.ok) throw attempt.error;
        }
      });
    },
    discardQueued(reason) {
      const lost = queue.length + inflight.length;
      queue = [];
      inflight = [];
      if (lost > 0) {
        logger.warn({ dropped: lost, reason }, "request log: records could not be written before close; dropped");
        drop(lost);
      }
      return lost;
    },
    ready,
    prepareNow() {
      return exclusive(async () => {
        const attempt = await writeNext();
        if (!attempt.ok) throw attempt.error;
      });
    },
    stop() {
      stopped = true;
      droppedAtStop = dropped;
      clearInterval(interval);
      clearTimeout(retryTimer);
    },
    stats: () => ({ queued: queue.length + inflight.length, written, dropped, failedWrites, healthy }),
  };
}
