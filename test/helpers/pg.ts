// Helpers for the storage tests: the shared PostgreSQL server, throwaway schemas, a switchable TCP
// proxy to simulate outages without touching the server, and sample request records.
import { randomBytes } from "node:crypto";
import net from "node:net";
import { afterEach } from "vitest";
import pg from "pg";
import { pino, type Logger } from "pino";
import type { Db } from "../../src/storage/index.js";
import type { RequestRecord } from "../../src/events/observer.js";

/** The PostgreSQL the integration tests use. */
export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

/**
 * Whether the test server answers. Unreachable in CI is an error (a silently skipped suite is a
 * suite that never runs); locally the PostgreSQL tests are skipped with a message.
 */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: testDatabaseUrl(), connectionTimeoutMillis: 2_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch (err) {
    const where = new URL(testDatabaseUrl()).host;
    const msg = `PostgreSQL at ${where} is unreachable (${err instanceof Error ? err.message : String(err)})`;
    if (process.env.CI) throw new Error(`${msg}; CI must run the PostgreSQL storage tests, not skip them`);
    console.warn(`${msg}: skipping the PostgreSQL storage tests (set TEST_DATABASE_URL to run them)`);
    return false;
  }
}

/** `url` with every session's `search_path` set to `schema`, via the libpq `options` parameter. */
export function withSearchPath(url: string, schema: string): string {
  const sep = url.includes("?") ? "&" : "?";
  return `${url}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** `url` pointed at another host and port (the proxy), everything else kept. */
export function viaPort(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = "127.0.0.1";
  u.port = String(port);
  return u.toString();
}

export interface TestSchema {
  schema: string;
  /** A connection string whose sessions use only this schema. */
  url: string;
}

/** Call at the top of a test file; each call of the result creates a schema dropped after the test. */
export function useTestSchemas(): () => Promise<TestSchema> {
  const created: string[] = [];
  afterEach(async () => {
    const names = created.splice(0);
    if (names.length === 0) return;
    const admin = new pg.Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    for (const name of names) await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin.end();
  });
  return async () => {
    const schema = `t_reqlog_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    created.push(schema);
    return { schema, url: withSearchPath(testDatabaseUrl(), schema) };
  };
}

export interface TcpProxy {
  port: number;
  /** Resets every open connection and every new one until `on()`: the server "went away". */
  off(): void;
  on(): void;
  close(): Promise<void>;
}

/** A TCP forwarder to `target` that a test can switch off and on, leaving the real server alone. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let up = true;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!up) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    open.add(client).add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const s of [client, upstream]) s.on("error", end).on("close", end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  const cut = (): void => {
    for (const s of open) s.resetAndDestroy();
    open.clear();
  };
  return {
    port: address.port,
    off: () => {
      up = false;
      cut();
    },
    on: () => void (up = true),
    close: () => {
      cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it is truthy; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A `Db` that counts the INSERTs into `requests` it passes on (one per batch). */
export function countingDb(db: Db): { db: Db; inserts: () => number } {
  let inserts = 0;
  const counted: Db = {
    ...db,
    async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
      if (sql.startsWith("INSERT INTO requests")) inserts += 1;
      return db.query<T>(sql, params);
    },
  };
  return { db: counted, inserts: () => inserts };
}

/**
 * A `Db` whose first `times` INSERTs into `requests` are carried out and then reported as failed
 * (the connection "died" before the acknowledgement): the writer must retry them without
 * writing any row twice.
 */
export function lostAckDb(db: Db, times = 1): Db {
  let left = times;
  return {
    ...db,
    async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
      const rows = await db.query<T>(sql, params);
      if (sql.startsWith("INSERT INTO requests") && left > 0) {
        left -= 1;
        throw Object.assign(new Error("read ECONNRESET (acknowledgement lost)"), { code: "ECONNRESET" });
      }
      return rows;
    },
  };
}

/** A pino logger whose lines land in `lines`, to assert what was logged and how often. */
export function captureLogger(): { logger: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

/** A record with every field filled in, `i` seconds after a fixed instant. */
export function sampleRecord(i: number, over: Partial<RequestRecord> = {}): RequestRecord {
  const startedAt = new Date(Date.UTC(2025, 0, 1, 12, 0, 0) + i * 1_000);
  return {
    id: `req-${String(i).padStart(4, "0")}`,
    startedAt,
    endedAt: new Date(startedAt.getTime() + 3_121),
    model: "deepseek-r1",
    summaryModel: "llama-3.1-8b",
    stream: true,
    provider: "primary",
    route: { provider: "primary", strategy: "failover", reason: "healthy", attempts: 1 },
    outcome: "ok",
    httpStatus: 200,
    errorCode: null,
    errorMessage: null,
    timings: { prompt_summary: 412, reasoning_end: 2210, reasoning_summary: 2650, first_output: 2651, total: 3120 },
    upstreamTtfbMs: 180,
    usage: { prompt_tokens: 31, completion_tokens: 120, total_tokens: 151, completion_tokens_details: { reasoning_tokens: 90 } },
    costUsd: 0.000123,
    promptSummary: { text: "The user asks why the sky is blue.", source: "model" },
    reasoningSummary: { text: "- Rayleigh scattering.\n- Short wavelengths scatter more.", source: "fallback" },
    summaryFallbacks: 1,
    retries: 2,
    failovers: 1,
    requestBody: { model: "deepseek-r1", messages: [{ role: "user", content: "Why is the sky blue? ünïcödé 🌈 'quotes' \"too\"" }] },
    answer: "Because air scatters blue light more than red.",
    validation: {
      valid: true,
      attempts: 2,
      escalated: true,
      tries: [
        { provider: "local", constrained: false, valid: false },
        { provider: "primary", constrained: false, valid: true },
      ],
    },
    ...over,
  };
}

/** A record with every nullable field null: a request rejected before any upstream call. */
export function sparseRecord(i: number, over: Partial<RequestRecord> = {}): RequestRecord {
  // Rejected before any call: nothing was validated either.
  const { validation: _none, ...record } = sampleRecord(i, {
    stream: false,
    provider: null,
    route: null,
    outcome: "rejected",
    httpStatus: 403,
    errorCode: "model_not_allowed",
    errorMessage: "model not allowed",
    timings: { prompt_summary: null, reasoning_end: null, reasoning_summary: null, first_output: null, total: 2 },
    upstreamTtfbMs: null,
    usage: null,
    costUsd: null,
    promptSummary: null,
    reasoningSummary: null,
    summaryFallbacks: 0,
    retries: 0,
    failovers: 0,
    requestBody: null,
    answer: null,
  });
  return { ...record, ...over };
}
