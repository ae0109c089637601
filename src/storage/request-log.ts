import { randomBytes } from "node:crypto";
import type { Logger } from "../observability/index.js";
import type { RequestOutcome, RequestRecord } from "../events/index.js";
import type { Db } from "./db.js";
import { fromRow, type RequestRow } from "./rows.js";
import { createBatchWriter, type WriterStats } from "./writer.js";

export interface RequestLogOptions {
  db: Db;
  logger: Logger;
  /** Records per INSERT; a full batch is written at once. Default 100. */
  batchSize?: number;
  /** A partial batch waits at most this long. Default 500 ms. */
  flushIntervalMs?: number;
  /** Records held while the database is slow or down; beyond it the oldest go. Default 10 000. */
  maxQueue?: number;
  /** First wait after a failed write; doubles per failure up to `retryMaxMs`. Default 500 ms. */
  retryBaseMs?: number;
  /** Default 30 s. */
  retryMaxMs?: number;
  /** How long `close()` may spend writing what is queued. Default 5 s. */
  closeTimeoutMs?: number;
  onDropped?: (n: number) => void;
  onWriteError?: (e: unknown) => void;
  /** Must succeed before the first write or read (e.g. migrations); retried with the writes. */
  prepare?: () => Promise<unknown>;
  /** Unique per writer (tests pin it); default 8 random hex characters. */
  writerId?: string;
}

export interface ListOptions {
  /** 1..500 (clamped), default 50. */
  limit?: number;
  model?: string;
  /** The provider that served (or last tried) the request. */
  provider?: string;
  /** The API key's name (see `RequestRecord.keyName`). */
  keyName?: string;
  outcome?: RequestOutcome;
  /** Only requests that started strictly before this: pass the last `startedAt` for the next page. */
  before?: Date;
}

export interface RequestLogStats extends WriterStats {
  /** The database is still opening (PGlite's first start, the first connection): reads answer {@link RequestLogStartingError}. */
  starting: boolean;
}

/** A read while the request log is still opening in the background; the caller may try again shortly. */
export class RequestLogStartingError extends Error {
  constructor() {
    super("the request log is still opening; try again in a few seconds");
    this.name = "RequestLogStartingError";
  }
}

/** The request log: cheap, non-blocking writes from the request path; reads for the API. */
export interface RequestLog {
  /** Queues a finished request. Synchronous; never throws; never waits for the database. */
  enqueue(record: RequestRecord): void;
  /** Writes everything queued at the time of the call; rejects if the database refuses. */
  flush(): Promise<void>;
  /** Flushes (bounded by `closeTimeoutMs`), stops the timers and closes the database. */
  close(): Promise<void>;
  /** Newest first. */
  list(opts?: ListOptions): Promise<RequestRecord[]>;
  get(id: string): Promise<RequestRecord | undefined>;
  stats(): RequestLogStats;
  /** Runs `prepare` (and a first write) now; rejects if the database is unreachable. */
  prepareNow(): Promise<void>;
}

/**
 * Builds a request log over an already-migrated `Db` (or one `prepare` will migrate). Starts one
 * `unref()`ed timer; nothing else happens until records arrive.
 */
export function createRequestLog(opts: RequestLogOptions): RequestLog {
  const { db, logger } = opts;
  const writer = createBatchWriter({
    db,
    logger,
    batchSize: Math.max(1, opts.batchSize ?? 100),
    flushIntervalMs: opts.flushIntervalMs ?? 500,
    maxQueue: Math.max(1, opts.maxQueue ?? 10_000),
    retryBaseMs: opts.retryBaseMs ?? 500,
    retryMaxMs: opts.retryMaxMs ?? 30_000,
    onDropped: opts.onDropped,
    onWriteError: opts.onWriteError,
    prepare: opts.prepare,
    writerId: opts.writerId ?? randomBytes(4).toString("hex"),
  });
  const closeTimeoutMs = opts.closeTimeoutMs ?? 5_000;
  let closing: Promise<void> | undefined;

  async function shutDown(): Promise<void> {
    const flushed = await within(writer.flush(), closeTimeoutMs);
    // Bounded: what the database did not take within closeTimeoutMs is counted and logged as
    // dropped, never left to vanish with the process.
    if (flushed !== "ok") writer.discardQueued(flushed === "timeout" ? `not written within ${closeTimeoutMs} ms` : flushed);
    writer.stop();
    const closed = await within(db.close(), closeTimeoutMs);
    if (closed !== "ok") logger.warn({ reason: closed }, "request log: database did not close cleanly");
  }

  return {
    enqueue: (record) => writer.enqueue(record),
    flush: () => writer.flush(),
    close: () => (closing ??= shutDown()),
    stats: () => ({ ...writer.stats(), starting: false }),
    prepareNow: () => writer.prepareNow(),
    async list(o = {}) {
      await writer.ready();
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (cond: string, value: unknown): void => {
        params.push(value);
        where.push(cond.replace("?", `$${params.length}`));
      };
      if (o.model !== undefined) add("model = ?", o.model);
      if (o.provider !== undefined) add("provider = ?", o.provider);
      if (o.keyName !== undefined) add("key_name = ?", o.keyName);
      if (o.outcome !== undefined) add("outcome = ?", o.outcome);
      if (o.before !== undefined) add("started_at < ?", o.before);
      const asked = o.limit !== undefined && Number.isFinite(o.limit) ? Math.floor(o.limit) : 50;
      const limit = Math.min(500, Math.max(1, asked));
      params.push(limit);
      const sql = `SELECT * FROM requests ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY started_at DESC, id DESC LIMIT $${params.length}`;
      const rows = await db.query<RequestRow>(sql, params);
      return rows.map(fromRow);
    },
    async get(id) {
      await writer.ready();
      const rows = await db.query<RequestRow>("SELECT * FROM requests WHERE id = $1", [id]);
      return rows[0] === undefined ? undefined : fromRow(rows[0]);
    },
  };
}

// Resolves "ok", "timeout" or the error's message; never rejects, never keeps the process alive.
async function within(p: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      p.then(
        () => "ok",
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
