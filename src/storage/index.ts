import type { Logger } from "../observability/index.js";
import { createPgDb, createPgliteDb, type Db } from "./db.js";
import { runMigrations } from "./migrations.js";
import { createRequestLog, type RequestLog, type RequestLogOptions } from "./request-log.js";

export { createPgDb, createPgliteDb, type Db, type PgDbOptions, type Queryable } from "./db.js";
export { migrations, runMigrations, type Migration } from "./migrations.js";
export { createRequestLog, type ListOptions, type RequestLog, type RequestLogOptions, type RequestLogStats } from "./request-log.js";

export interface OpenRequestLogOptions extends Omit<RequestLogOptions, "db" | "prepare"> {
  /** PostgreSQL when set (`postgres://…`); otherwise embedded PGlite in `dataDir`. */
  databaseUrl?: string | undefined;
  /** PGlite data directory, e.g. `./data/requests`; `memory://` for a throwaway database. */
  dataDir: string;
  logger: Logger;
}

/**
 * Opens the request log on PostgreSQL (`databaseUrl`) or PGlite (`dataDir`) and applies the
 * migrations. A database that cannot be reached does not stop the gateway: the failure is logged,
 * the log is returned anyway, records queue up in memory, and the migrations are retried with the
 * writes (same backoff) until they succeed; reads reject until then.
 */
export async function openRequestLog(opts: OpenRequestLogOptions): Promise<RequestLog> {
  const { databaseUrl, dataDir, logger, ...rest } = opts;
  const db: Db = databaseUrl ? createPgDb({ databaseUrl, logger }) : createPgliteDb({ dataDir });
  const log = createRequestLog({
    ...rest,
    db,
    logger,
    prepare: async () => {
      const applied = await runMigrations(db);
      if (applied.length > 0) logger.info({ applied, kind: db.kind }, "request log: migrations applied");
    },
  });
  try {
    await log.prepareNow();
  } catch (err) {
    logger.error(
      { err: err instanceof Error ? err.message : String(err), kind: db.kind },
      "request log: database unreachable at start; queueing records and retrying migrations in the background",
    );
  }
  return log;
}
export { acquireDataDirLock, DataDirLockedError, pidIsAlive, LOCK_FILE, type DataDirLock, type LockDeps } from "./lock.js";
