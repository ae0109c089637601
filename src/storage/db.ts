// A type only: pg is loaded by `import()` when a PostgreSQL request log is first used (and
// PGlite only in its own thread), so a gateway without a request log loads neither.
import type pg from "pg";
import type { Logger } from "../observability/index.js";
import { createPgliteThread } from "./pglite-thread.js";

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
 * A `Db` over a `pg.Pool`. Nothing is loaded or connected until the first query. A server that
 * goes away never crashes the process: idle and checked-out clients both have an `error`
 * listener, and the failure surfaces as a rejected query instead.
 */
export function createPgDb(opts: PgDbOptions): Db {
  const { logger } = opts;
  let started: Promise<pg.Pool> | undefined;
  const open = async (): Promise<pg.Pool> => {
    const { default: pgModule } = await import("pg");
    const pool = new pgModule.Pool({
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
    return pool;
  };
  const poolOf = (): Promise<pg.Pool> => (started ??= open());

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
    async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
      return onClient(await poolOf()).query<T>(sql, params);
    },
    async exec(sql: string): Promise<void> {
      await onClient(await poolOf()).exec(sql);
    },
    async transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> {
      const client = await (await poolOf()).connect();
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
      if (started) await (await started).end();
    },
  };
}

/**
 * A `Db` over embedded PGlite (PostgreSQL compiled to WASM). `dataDir` is a directory (created if
 * missing) or `memory://` for a throwaway database. PGlite runs in a worker thread
 * (pglite-worker.ts): its start (seconds; more on an empty directory) and its statements are CPU
 * work that would otherwise stall every request the gateway is serving. Nothing starts until the
 * first query. A transaction holds the database: other statements wait until it ends.
 */
export function createPgliteDb(opts: { dataDir: string }): Db {
  const thread = createPgliteThread({ dataDir: opts.dataDir });
  // One connection: while a transaction runs, statements from outside it wait their turn.
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = turn.then(fn);
    turn = run.catch(() => undefined);
    return run;
  };
  const direct: Queryable = {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await thread.send({ op: "query", sql, params: [...params] })) as T[];
    },
    async exec(sql: string): Promise<void> {
      await thread.send({ op: "exec", sql });
    },
  };

  return {
    kind: "pglite",
    query: (sql, params) => inTurn(() => direct.query(sql, params)),
    exec: (sql) => inTurn(() => direct.exec(sql)),
    transaction: (fn) =>
      inTurn(async () => {
        await direct.exec("BEGIN");
        try {
          const result = await fn(direct);
          await direct.exec("COMMIT");
          return result;
        } catch (err) {
          await direct.exec("ROLLBACK").catch(() => undefined);
          throw err;
        }
      }),
    close: () => inTurn(() => thread.close()),
  };
}
