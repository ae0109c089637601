// The request log on embedded PGlite. Start-up costs seconds, so one instance (on a temp data dir)
// serves the whole file; each test starts from an empty table. The last test closes it and reopens
// the same directory through openRequestLog.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/observability/index.js";
import { createPgliteDatabase, createPgliteDb, createRequestLog, openRequestLog, runMigrations, type Db } from "../../src/storage/index.js";
import { PGLITE_TEST_MS } from "../helpers/bounds.js";
import { captureLogger, countingDb, lostAckDb, sampleRecord, sparseRecord, waitFor } from "../helpers/pg.js";
import { SCRATCH_ROOT } from "../helpers/process.js";

describe("request log on PGlite", { timeout: PGLITE_TEST_MS }, () => {
  let dir: string;
  let real: Db;
  // What the tests' logs get: closing a log must not close the instance the next test needs.
  let shared: Db;

  beforeAll(async () => {
    dir = await mkdtemp(join(SCRATCH_ROOT, "reqlog-"));
    real = createPgliteDb({ dataDir: join(dir, "requests") });
    shared = { ...real, close: async () => undefined };
    expect(await runMigrations(real)).toEqual([1, 2, 3, 4]);
  }, PGLITE_TEST_MS);
  afterAll(async () => {
    await real.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await real.exec("DELETE FROM requests");
  });

  const count = async (): Promise<number> => (await real.query<{ n: number }>("SELECT count(*)::int AS n FROM requests"))[0]!.n;

  it("finds the migrations applied, even when asked twice at once", async () => {
    expect(await Promise.all([runMigrations(real), runMigrations(real)])).toEqual([[], []]);
    expect(await real.query("SELECT id, name FROM schema_migrations")).toEqual([
      { id: 1, name: "create_requests" },
      { id: 2, name: "requests_write_key" },
      { id: 3, name: "add_key_name" },
      { id: 4, name: "add_validation" },
    ]);
  });

  it("writes N records in ceil(N / batchSize) INSERTs", async () => {
    const counted = countingDb(shared);
    const log = createRequestLog({ db: counted.db, logger: silentLogger(), batchSize: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 25; i++) log.enqueue(sampleRecord(i));
    await waitFor("two full batches", () => log.stats().written === 20);
    await log.flush();
    expect(counted.inserts()).toBe(3);
    expect(await count()).toBe(25);
    await log.close();
  });

  it("writes a partial batch after flushIntervalMs without being asked", async () => {
    const counted = countingDb(shared);
    const log = createRequestLog({ db: counted.db, logger: silentLogger(), flushIntervalMs: 20 });
    for (let i = 0; i < 3; i++) log.enqueue(sampleRecord(i));
    await waitFor("the interval flush", async () => (await count()) === 3);
    expect(counted.inserts()).toBe(1);
    await log.close();
  });

  it("round-trips full and sparse records exactly, and never duplicates a batch retried after a lost acknowledgement", async () => {
    const log = createRequestLog({ db: lostAckDb(shared), logger: silentLogger() });
    const full = sampleRecord(1);
    const sparse = sparseRecord(2);
    const emptyUsage = sampleRecord(3, { usage: {}, requestBody: [1, "two", { three: 3 }], costUsd: 0 });
    for (const r of [full, sparse, emptyUsage]) log.enqueue(r);
    // The batch is committed but its acknowledgement is lost: the retry finds its own rows.
    await expect(log.flush()).rejects.toThrow(/ECONNRESET/);
    await log.flush();
    expect(log.stats()).toMatchObject({ written: 3, dropped: 0, failedWrites: 1, queued: 0 });
    expect(await log.get(full.id)).toEqual(full);
    expect(await log.get(sparse.id)).toEqual(sparse);
    expect(await log.get(emptyUsage.id)).toEqual(emptyUsage);
    expect(await count()).toBe(3);
    await log.close();
  });

  it("discards only the record the database cannot take", async () => {
    const log = createRequestLog({ db: shared, logger: silentLogger() });
    log.enqueue(sampleRecord(1, { answer: "a\u0000b" }));
    log.enqueue(sampleRecord(2, { endedAt: new Date(Number.NaN) }));
    log.enqueue(sampleRecord(3));
    await log.flush();
    expect((await log.get("req-0001"))?.answer).toBe("ab");
    expect(log.stats()).toMatchObject({ written: 2, dropped: 1, queued: 0 });
    await log.close();
  });

  it("lists newest first, filters by model and outcome, and pages with before", async () => {
    const log = createRequestLog({ db: shared, logger: silentLogger() });
    for (let i = 0; i < 12; i++) {
      log.enqueue(sampleRecord(i, { model: i % 3 === 0 ? "gpt-oss" : "deepseek-r1", outcome: i % 4 === 0 ? "client_closed" : "ok" }));
    }
    await log.flush();
    const ids = (rs: Array<{ id: string }>): string[] => rs.map((r) => r.id);
    expect(ids(await log.list({ model: "gpt-oss" }))).toEqual(["req-0009", "req-0006", "req-0003", "req-0000"]);
    expect(ids(await log.list({ outcome: "client_closed" }))).toEqual(["req-0008", "req-0004", "req-0000"]);
    const page1 = await log.list({ limit: 7 });
    const page2 = await log.list({ limit: 7, before: page1.at(-1)!.startedAt });
    expect(ids([...page1, ...page2])).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((i) => sampleRecord(i).id));
    await log.close();
  });

  it("close() writes everything still queued", async () => {
    const log = createRequestLog({ db: shared, logger: silentLogger(), batchSize: 1_000, flushIntervalMs: 60_000 });
    for (let i = 0; i < 30; i++) log.enqueue(sampleRecord(i));
    await log.close();
    expect(await count()).toBe(30);
  });

  it("keeps its data across close and reopen of the data directory", async () => {
    const log = createRequestLog({ db: shared, logger: silentLogger() });
    log.enqueue(sampleRecord(7));
    await log.close();
    await real.close();

    const { logger, lines } = captureLogger();
    const reopened = await openRequestLog({ dataDir: join(dir, "requests"), logger });
    expect(await reopened.get("req-0007")).toEqual(sampleRecord(7));
    // Nothing to migrate the second time, and nothing went wrong.
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(lines.some((l) => l.msg.includes("migrations applied"))).toBe(false);
    await reopened.close();
  });
});

/**
 * A new embedded database starts from the template `make build` made (the global set-up builds),
 * not from PGlite's initdb: every database made from it carries the template's system identifier,
 * where each initdb draws a new one.
 */
describe("a new PGlite data directory", { timeout: PGLITE_TEST_MS }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(SCRATCH_ROOT, "pglite-new-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** PostgreSQL's system identifier: the first 8 bytes of global/pg_control (read without starting PGlite). */
  const systemId = async (dataDir: string): Promise<bigint> => (await readFile(join(dataDir, "global", "pg_control"))).readBigUInt64LE(0);

  async function systemIdOfMemoryDb(): Promise<bigint> {
    const db = createPgliteDb({ dataDir: "memory://" });
    try {
      return BigInt((await db.query<{ id: string }>("SELECT system_identifier::text AS id FROM pg_control_system()"))[0]!.id);
    } finally {
      await db.close();
    }
  }

  it("is unpacked from the template into place, whole, for a directory and for memory://", async () => {
    expect(await createPgliteDatabase(join(dir, "a"))).toBe("template");
    await mkdir(join(dir, "b")); // an empty directory is as good as none
    expect(await createPgliteDatabase(join(dir, "b"))).toBe("template");
    const [a, b, memory] = [await systemId(join(dir, "a")), await systemId(join(dir, "b")), await systemIdOfMemoryDb()];
    expect(b).toBe(a);
    expect(memory).toBe(a);
    // Unpacked beside it and renamed: nothing half-made is left behind.
    expect((await readdir(dir)).sort()).toEqual(["a", "b"]);
  });

  it("leaves a directory that already holds files to PGlite's initdb, and keeps the files", async () => {
    await mkdir(join(dir, "c"));
    await writeFile(join(dir, "c", "note.txt"), "mine");
    expect(await createPgliteDatabase(join(dir, "c"))).toBe("initdb");
    expect(await readFile(join(dir, "c", "note.txt"), "utf8")).toBe("mine");
    expect(await systemId(join(dir, "c"))).not.toBe(await systemId(join(dir, "a")));
  });
});
