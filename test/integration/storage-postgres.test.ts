// The request log against the real PostgreSQL server, one throwaway schema per test. Outages are
// simulated with a TCP proxy between the log and the server, so the shared server keeps running.
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/observability/index.js";
import { createPgDb, createRequestLog, openRequestLog, runMigrations, type Db, type RequestLog } from "../../src/storage/index.js";
import {
  captureLogger,
  countingDb,
  lostAckDb,
  postgresAvailable,
  sampleRecord,
  sparseRecord,
  startTcpProxy,
  testDatabaseUrl,
  useTestSchemas,
  viaPort,
  waitFor,
  type TcpProxy,
} from "../helpers/pg.js";

const available = await postgresAvailable();

describe.skipIf(!available)("request log on PostgreSQL", () => {
  const newSchema = useTestSchemas();
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  function pgDb(url: string): Db {
    const db = createPgDb({ databaseUrl: url, logger: silentLogger(), connectionTimeoutMs: 1_000 });
    cleanups.push(() => db.close().catch(() => undefined));
    return db;
  }

  async function migratedDb(): Promise<{ db: Db; url: string }> {
    const { url } = await newSchema();
    const db = pgDb(url);
    await runMigrations(db);
    return { db, url };
  }

  function track(log: RequestLog): RequestLog {
    cleanups.push(() => log.close());
    return log;
  }

  async function proxy(): Promise<TcpProxy> {
    const target = new URL(testDatabaseUrl());
    const p = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    cleanups.push(() => p.close());
    return p;
  }

  const count = async (db: Db): Promise<number> => (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM requests"))[0]!.n;

  it("applies the migrations once, and again is a no-op", async () => {
    const { url } = await newSchema();
    const db = pgDb(url);
    expect(await runMigrations(db)).toEqual([1, 2, 3, 4]);
    expect(await runMigrations(db)).toEqual([]);
    const rows = await db.query<{ id: number; name: string }>("SELECT id, name FROM schema_migrations");
    expect(rows).toEqual([
      { id: 1, name: "create_requests" },
      { id: 2, name: "requests_write_key" },
      { id: 3, name: "add_key_name" },
      { id: 4, name: "add_validation" },
    ]);
    expect(await count(db)).toBe(0);
  });

  it("applies the migrations exactly once when several processes start together", async () => {
    const { url } = await newSchema();
    const dbs = [pgDb(url), pgDb(url), pgDb(url), pgDb(url)];
    const results = await Promise.all(dbs.map((db) => runMigrations(db)));
    expect(results.flat()).toEqual([1, 2, 3, 4]);
    expect(await dbs[0]!.query("SELECT id FROM schema_migrations")).toHaveLength(4);
  });

  it("writes N records in ceil(N / batchSize) INSERTs", async () => {
    const { db } = await migratedDb();
    const counted = countingDb(db);
    const log = track(createRequestLog({ db: counted.db, logger: silentLogger(), batchSize: 10, flushIntervalMs: 60_000 }));
    for (let i = 0; i < 25; i++) log.enqueue(sampleRecord(i));
    // Two full batches go on their own; the partial one waits for the interval or flush().
    await waitFor("two full batches", () => log.stats().written === 20);
    expect(log.stats().queued).toBe(5);
    await log.flush();
    expect(counted.inserts()).toBe(3);
    expect(await count(db)).toBe(25);
    expect(log.stats()).toMatchObject({ queued: 0, written: 25, dropped: 0, failedWrites: 0, healthy: true });
  });

  it("writes a partial batch after flushIntervalMs without being asked", async () => {
    const { db } = await migratedDb();
    const counted = countingDb(db);
    const log = track(createRequestLog({ db: counted.db, logger: silentLogger(), flushIntervalMs: 20 }));
    for (let i = 0; i < 3; i++) log.enqueue(sampleRecord(i));
    await waitFor("the interval flush", async () => (await count(db)) === 3);
    expect(counted.inserts()).toBe(1);
  });

  it("round-trips full and sparse records exactly, and never duplicates a batch retried after a lost acknowledgement", async () => {
    const { db } = await migratedDb();
    const log = track(createRequestLog({ db: lostAckDb(db), logger: silentLogger() }));
    const full = sampleRecord(1);
    const sparse = sparseRecord(2);
    const emptyUsage = sampleRecord(3, { usage: {}, requestBody: "just a string", costUsd: 0 });
    for (const r of [full, sparse, emptyUsage]) log.enqueue(r);
    // The batch is committed but its acknowledgement is lost: the retry finds its own rows.
    await expect(log.flush()).rejects.toThrow(/ECONNRESET/);
    await log.flush();
    expect(log.stats()).toMatchObject({ written: 3, dropped: 0, failedWrites: 1, queued: 0 });
    expect(await log.get(full.id)).toEqual(full);
    expect(await log.get(sparse.id)).toEqual(sparse);
    expect(await log.get(emptyUsage.id)).toEqual(emptyUsage);
    expect(await log.get("nope")).toBeUndefined();
    expect(await count(db)).toBe(3);
  });

  it("stores a NUL character (which PostgreSQL text refuses) by dropping it, and discards only an unwritable record", async () => {
    const { db } = await migratedDb();
    const dropped: number[] = [];
    const log = track(createRequestLog({ db, logger: silentLogger(), onDropped: (n) => dropped.push(n) }));
    log.enqueue(sampleRecord(1, { answer: "a\u0000b", requestBody: { k: "x\u0000y" } }));
    log.enqueue(sampleRecord(2, { startedAt: new Date(Number.NaN) }));
    log.enqueue(sampleRecord(3, { answer: "x".repeat(1) }));
    await log.flush();
    expect(await log.get("req-0001")).toMatchObject({ answer: "ab", requestBody: { k: "xy" } });
    expect(await log.get("req-0003")).toBeDefined();
    expect(log.stats()).toMatchObject({ written: 2, dropped: 1, queued: 0, healthy: true });
    expect(dropped).toEqual([1]);
  });

  it("lists newest first, filters by model and outcome, and pages with before", async () => {
    const { db } = await migratedDb();
    const log = track(createRequestLog({ db, logger: silentLogger() }));
    for (let i = 0; i < 12; i++) {
      log.enqueue(sampleRecord(i, { model: i % 3 === 0 ? "gpt-oss" : "deepseek-r1", outcome: i % 4 === 0 ? "upstream_error" : "ok" }));
    }
    await log.flush();
    const ids = (rs: Array<{ id: string }>): string[] => rs.map((r) => r.id);
    expect(ids(await log.list())).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((i) => sampleRecord(i).id));
    expect(ids(await log.list({ model: "gpt-oss" }))).toEqual(["req-0009", "req-0006", "req-0003", "req-0000"]);
    expect(ids(await log.list({ outcome: "upstream_error" }))).toEqual(["req-0008", "req-0004", "req-0000"]);
    expect(ids(await log.list({ model: "gpt-oss", outcome: "upstream_error" }))).toEqual(["req-0000"]);
    const page1 = await log.list({ limit: 5 });
    const page2 = await log.list({ limit: 5, before: page1.at(-1)!.startedAt });
    const page3 = await log.list({ limit: 5, before: page2.at(-1)!.startedAt });
    expect([...page1, ...page2, ...page3].map((r) => r.id)).toEqual(ids(await log.list({ limit: 500 })));
    expect(page3).toHaveLength(2);
    expect(await log.list({ limit: 0 })).toHaveLength(1);
    expect(await log.list({ limit: 10_000 })).toHaveLength(12);
  });

  it("keeps records through an outage, warns once, and writes them all when the server is back", async () => {
    const { url, db } = await migratedDb();
    const p = await proxy();
    const { logger, lines } = captureLogger();
    const errors: unknown[] = [];
    const log = track(
      createRequestLog({
        db: pgDb(viaPort(url, p.port)),
        logger,
        flushIntervalMs: 20,
        retryBaseMs: 20,
        retryMaxMs: 80,
        onWriteError: (e) => errors.push(e),
      }),
    );
    for (let i = 0; i < 5; i++) log.enqueue(sampleRecord(i));
    await log.flush();

    p.off();
    for (let i = 5; i < 45; i++) log.enqueue(sampleRecord(i));
    await waitFor("several failed attempts", () => log.stats().failedWrites >= 4);
    expect(log.stats()).toMatchObject({ healthy: false, dropped: 0, queued: 40 });
    expect(errors.length).toBe(log.stats().failedWrites);
    expect(lines.filter((l) => l.msg.includes("database unavailable"))).toHaveLength(1);

    p.on();
    await waitFor("the queue to drain", () => log.stats().queued === 0);
    expect(log.stats()).toMatchObject({ healthy: true, dropped: 0, written: 45 });
    expect(await count(db)).toBe(45);
    expect(lines.filter((l) => l.msg.includes("database unavailable"))).toHaveLength(1);
    expect(lines.filter((l) => l.msg.includes("reachable again"))).toHaveLength(1);
  });

  it("drops the oldest records, and counts them, when the queue overflows during an outage", async () => {
    const { url, db } = await migratedDb();
    const p = await proxy();
    let dropped = 0;
    const log = track(
      createRequestLog({
        db: pgDb(viaPort(url, p.port)),
        logger: silentLogger(),
        maxQueue: 5,
        flushIntervalMs: 20,
        retryBaseMs: 20,
        retryMaxMs: 40,
        onDropped: (n) => (dropped += n),
      }),
    );
    p.off();
    for (let i = 0; i < 8; i++) log.enqueue(sampleRecord(i));
    expect(log.stats()).toMatchObject({ queued: 5, dropped: 3 });
    expect(dropped).toBe(3);
    await waitFor("a failed attempt", () => log.stats().failedWrites >= 1);
    p.on();
    await waitFor("the queue to drain", () => log.stats().queued === 0);
    const rows = await db.query<{ id: string }>("SELECT id FROM requests ORDER BY id");
    expect(rows.map((r) => r.id)).toEqual([3, 4, 5, 6, 7].map((i) => sampleRecord(i).id));
  });

  it("close() writes everything still queued", async () => {
    const { db, url } = await migratedDb();
    const log = createRequestLog({ db: pgDb(url), logger: silentLogger(), batchSize: 1_000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 30; i++) log.enqueue(sampleRecord(i));
    expect(log.stats().queued).toBe(30);
    await log.close();
    expect(await count(db)).toBe(30);
    log.enqueue(sampleRecord(99));
    expect(log.stats().dropped).toBe(1);
  });

  it("openRequestLog starts while the server is down, then migrates and writes once it is up", async () => {
    const { url } = await newSchema();
    const p = await proxy();
    p.off();
    const { logger, lines } = captureLogger();
    const log = track(
      await openRequestLog({ databaseUrl: viaPort(url, p.port), dataDir: "unused", logger, flushIntervalMs: 20, retryBaseMs: 20, retryMaxMs: 40 }),
    );
    expect(lines.some((l) => l.level === 50 && l.msg.includes("unreachable at start"))).toBe(true);
    for (let i = 0; i < 3; i++) log.enqueue(sampleRecord(i));
    await expect(log.list()).rejects.toThrow();
    p.on();
    await waitFor("the queue to drain", () => log.stats().queued === 0);
    expect((await log.list()).map((r) => r.id)).toEqual(["req-0002", "req-0001", "req-0000"]);
    expect(lines.some((l) => l.msg.includes("migrations applied"))).toBe(true);
  });
});
