import type { Logger } from "../observability/index.js";
import { createPgDb, createPgliteDb, type Db } from "./db.js";
import { runMigrations } from "./migrations.js";
import { createRequestLog, RequestLogStartingError, type RequestLog, type RequestLogOptions } from "./request-log.js";

export { createPgDb, createPgliteDb, type Db, type PgDbOptions, type Queryable } from "./db.js";
export { migrations, runMigrations, type Migration } from "./migrations.js";
export { createPgliteDatabase, unpackTemplate } from "./pglite-open.js";
export { createRequestLog, RequestLogStartingError, type ListOptions, type RequestLog, type RequestLogOptions, type RequestLogStats } from "./request-log.js";

export interface OpenRequestLogOptions extends Omit<RequestLogOptions, "db" | "prepare"> {
  /** PostgreSQL when set (`postgres://…`); otherwise embedded PGlite in `dataDir`. */
  databaseUrl?: string | undefined;
  /** PGlite data directory, e.g. `./data/requests`; `memory://` for a throwaway database. */
  dataDir: string;
  logger: Logger;
  /** A database to use instead of the two above (tests hold its opening back). */
  db?: Db;
}

/**
 * Starts the request log on PostgreSQL (`databaseUrl`) or PGlite (`dataDir`) and returns at once:
 * the database opens and migrates in the background (PGlite's first start takes seconds). Until
 * then records queue in memory (bounded by `maxQueue`; what overflows is counted by `onDropped`)
 * and reads reject with {@link RequestLogStartingError}; `stats().starting` says which. A
 * database that cannot be reached does not stop the gateway: the failure is logged, records keep
 * queueing, and the migrations are retried with the writes (same backoff); reads reject until then.
 */
export function startRequestLog(opts: OpenRequestLogOptions): RequestLog {
  return begin(opts).log;
}

/** {@link startRequestLog}, resolved once the first attempt to open has finished (either way). */
export async function openRequestLog(opts: OpenRequestLogOptions): Promise<RequestLog> {
  const { log, opened } = begin(opts);
  await opened;
  return log;
}

/** How long shutdown waits for a request log that is still opening (PGlite's first start on a busy machine). */
const OPEN_WAIT_AT_CLOSE_MS = 30_000;

function begin(opts: OpenRequestLogOptions): { log: RequestLog; opened: Promise<void> } {
  const { databaseUrl, dataDir, logger, db: given, ...rest } = opts;
  const db: Db = given ?? (databaseUrl ? createPgDb({ databaseUrl, logger }) : createPgliteDb({ dataDir }));
  const log = createRequestLog({
    ...rest,
    db,
    logger,
    prepare: async () => {
      const applied = await runMigrations(db);
      if (applied.length > 0) logger.info({ applied, kind: db.kind }, "request log: migrations applied");
    },
  });
  let starting = true;
  const began = performance.now();
  const opened = log
    .prepareNow()
    .then(
      () => logger.info({ kind: db.kind, opened_in_ms: Math.round(performance.now() - began) }, "request log: open"),
      (err: unknown) =>
        logger.error(
          { err: err instanceof Error ? err.message : String(err), kind: db.kind },
          "request log: database unreachable at start; queueing records and retrying migrations in the background",
        ),
    )
    .finally(() => {
      starting = false;
    });
  const whenOpen = <T>(read: () => Promise<T>): Promise<T> => (starting ? Promise.reject(new RequestLogStartingError()) : read());
  /** Shutdown while the database still opens waits for it (bounded), so what queued meanwhile is written. */
  const close = async (): Promise<void> => {
    if (starting) {
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        opened.then(() => "open"),
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve("timeout"), OPEN_WAIT_AT_CLOSE_MS);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      if (waited === "timeout") logger.warn({ waited_ms: OPEN_WAIT_AT_CLOSE_MS }, "request log: still opening at shutdown; what was queued is dropped");
    }
    await log.close();
  };
  return {
    log: {
      ...log,
      close,
      stats: () => ({ ...log.stats(), starting }),
      list: (o) => whenOpen(() => log.list(o)),
      get: (id) => whenOpen(() => log.get(id)),
    },
    opened,
  };
}
export { acquireDataDirLock, DataDirLockedError, pidIsAlive, LOCK_FILE, type DataDirLock, type LockDeps } from "./lock.js";
