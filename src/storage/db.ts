import { existsSync } from "node:fs";
import { join } from "node:path";
import { PGlite, type PGliteOptions } from "@electric-sql/pglite";
import pg from "pg";
import type { Logger } from "../observability/index.js";

/** What a statement runs against: the database itself or an open transaction. */
export interface Queryable {
  /** Runs one parameterised statement (`$1`, `$2`, …) and returns its rows. */
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs one or more statements without parameters (schema changes). */
  exec(sql: string): Promise<void>;
}

/** The little the request log needs from a database; PostgreSQL and PGlite both provide it. */
export interface Db extends Queryable {
  readonly kind: "postgres" | "pglite";
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

export interface PgDbOptions {
  databaseUrl: string;
  logger: Logger;
  /** Pool size; the log writes one batch at a time, so a few connections are plenty. */
  max?: number;
  connectionTimeoutMs?: number;
  /** Client-side limit per statement, so a silently dead connection cannot stall the writer. */
  queryTimeoutMs?: number;
}

/**
 * A `Db` over a `pg.Pool`. Nothing connects until the first query. A server that goes away never
 * crashes the process: idle and checked-out clients both have an `error` listener, and the
 * failure surfaces as a rejected query instead.
 */
export function createPgDb(opts: PgDbOptions): Db {
  const { logger } = opts;
  const pool = new pg.Pool({
    connectionString: opts.databaseUrl,
    max: opts.max ?? 5,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 3_000,
    query_timeout: opts.queryTimeoutMs ?? 15_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
  });
  // Without this listener an idle client whose server vanished emits an unhandled 'error' and
  // takes the process down.
  pool.on("error", (err) => logger.warn({ err: err.message }, "request log: idle database connection lost"));

  const onClient = (client: pg.PoolClient | pg.Pool): Queryable => ({
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const res = await client.query(sql, [...params]);
      return res.rows as T[];
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  });

  return {
    kind: "postgres",
    ...onClient(pool),
    async transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> {
      const client = await pool.connect();
      // The pool removes its own listener while a client is checked out; a connection that dies
      // between two statements of this transaction would otherwise be an uncaught 'error'.
      let lost: Error | undefined;
      const onError = (err: Error): void => {
        lost = err;
      };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await fn(onClient(client));
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        lost ??= err instanceof Error ? err : new Error(String(err));
        throw err;
      } finally {
        client.off("error", onError);
        // After any failure the connection's state is unknown, so it is destroyed, not reused.
        client.release(lost);
      }
    },
    async close(): Promise<void> {
      await pool.end();
    },
  };
}

/**
 * PGlite's own start parameters, with PostgreSQL's buffer cache at 16 MB instead of its default
 * 128 MB: the request log writes small batches and reads recent rows, and the WebAssembly memory
 * a bigger cache grows into is never given back (measured: 300 → 180 MB RSS for the database).
 */
const PGLITE_OPTIONS: PGliteOptions = { startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"] };

/**
 * Open PGlite. When the directory holds no database yet, PGlite runs `initdb` in this process,
 * and the instance keeps initdb's WebAssembly memory for as long as it lives (measured: 750 MB
 * RSS instead of 300 MB); closed and opened again, that memory goes. `memory://` cannot be
 * reopened (its data would go too), so it keeps the cost.
 */
async function openPglite(dataDir: string): Promise<PGlite> {
  const onDisk = !dataDir.includes("://");
  const fresh = onDisk && !existsSync(join(dataDir, "PG_VERSION"));
  const db = await PGlite.create(dataDir, PGLITE_OPTIONS);
  if (!fresh) return db;
  await db.close();
  return PGlite.create(dataDir, PGLITE_OPTIONS);
}

/**
 * A `Db` over embedded PGlite (PostgreSQL compiled to WASM, in this process). `dataDir` is a
 * directory (created if missing) or `memory://` for a throwaway database. Start-up takes a second
 * or more, so it happens on the first query rather than here.
 */
export function createPgliteDb(opts: { dataDir: string }): Db {
  let started: Promise<PGlite> | undefined;
  const instance = (): Promise<PGlite> => (started ??= openPglite(opts.dataDir));

  const wrap = (q: Pick<PGlite, "query" | "exec">): Queryable => ({
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const res = await q.query<T>(sql, [...params]);
      return res.rows;
    },
    async exec(sql: string): Promise<void> {
      await q.exec(sql);
    },
  });

  return {
    kind: "pglite",
    async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
      return wrap(await instance()).query<T>(sql, params);
    },
    async exec(sql: string): Promise<void> {
      await wrap(await instance()).exec(sql);
    },
    async transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> {
      const db = await instance();
      return db.transaction((tx) => fn(wrap(tx)));
    },
    async close(): Promise<void> {
      if (!started) return;
      const db = await started;
      if (!db.closed) await db.close();
    },
  };
}
