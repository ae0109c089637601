// The writer's timing and failure behaviour against a scripted fake database, with fake timers so
// backoff intervals are exact.
import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../../src/observability/index.js";
import { createRequestLog, type Db } from "../../../src/storage/index.js";
import { INSERT_COLUMNS } from "../../../src/storage/rows.js";
import { captureLogger, sampleRecord } from "../../helpers/pg.js";

function fakeDb() {
  const state = { down: false, hang: false, attempts: [] as number[], written: [] as string[], closed: false };
  const refused = (): Error => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
  const db: Db = {
    kind: "postgres",
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      state.attempts.push(Date.now());
      if (state.hang) return new Promise<T[]>(() => undefined);
      if (state.down) throw refused();
      if (!sql.startsWith("INSERT")) return [];
      // Every row lands: RETURNING gives each one's write key (the last parameter of its tuple).
      const keys: T[] = [];
      for (let i = 0; i < params.length; i += INSERT_COLUMNS.length) {
        state.written.push(String(params[i]));
        keys.push({ write_key: params[i + INSERT_COLUMNS.length - 1] } as T);
      }
      return keys;
    },
    async exec() {},
    transaction: (fn) => fn(db),
    async close() {
      state.closed = true;
    },
  };
  return { db, state };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("request log writer", () => {
  it("backs off exponentially up to retryMaxMs while the database is down, then resets", async () => {
    vi.useFakeTimers();
    const { db, state } = fakeDb();
    const log = createRequestLog({ db, logger: silentLogger(), flushIntervalMs: 5, retryBaseMs: 10, retryMaxMs: 80 });
    state.down = true;
    log.enqueue(sampleRecord(1));
    await vi.advanceTimersByTimeAsync(240);
    const gaps = state.attempts.slice(1).map((t, i) => t - state.attempts[i]!);
    expect(gaps).toEqual([10, 20, 40, 80, 80]);

    state.down = false;
    await vi.advanceTimersByTimeAsync(80);
    expect(state.written).toEqual(["req-0001"]);
    state.down = true;
    state.attempts = [];
    log.enqueue(sampleRecord(2));
    await vi.advanceTimersByTimeAsync(40);
    expect(state.attempts.slice(1).map((t, i) => t - state.attempts[i]!)).toEqual([10, 20]);
    expect(log.stats()).toMatchObject({ queued: 1, written: 1, dropped: 0, healthy: false });
  });

  it("warns once per outage and says when it is over", async () => {
    vi.useFakeTimers();
    const { db, state } = fakeDb();
    const { logger, lines } = captureLogger();
    const log = createRequestLog({ db, logger, flushIntervalMs: 5, retryBaseMs: 5, retryMaxMs: 10 });
    for (let outage = 0; outage < 2; outage++) {
      state.down = true;
      log.enqueue(sampleRecord(outage));
      await vi.advanceTimersByTimeAsync(100);
      state.down = false;
      await vi.advanceTimersByTimeAsync(20);
    }
    expect(log.stats().failedWrites).toBeGreaterThan(10);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toHaveLength(2);
    expect(lines.filter((l) => l.msg.includes("reachable again"))).toHaveLength(2);
    expect(state.written).toEqual(["req-0000", "req-0001"]);
  });

  it("enqueue never throws, and drops the oldest when full", () => {
    const { db, state } = fakeDb();
    state.down = true;
    const log = createRequestLog({
      db,
      logger: silentLogger(),
      maxQueue: 3,
      onDropped: () => {
        throw new Error("a broken metrics callback");
      },
    });
    for (let i = 0; i < 10; i++) expect(() => log.enqueue(sampleRecord(i))).not.toThrow();
    expect(log.stats()).toMatchObject({ queued: 3, dropped: 7 });
  });

  it("flush() rejects while the database is down and keeps the records", async () => {
    const { db, state } = fakeDb();
    state.down = true;
    const log = createRequestLog({ db, logger: silentLogger(), flushIntervalMs: 60_000 });
    log.enqueue(sampleRecord(1));
    await expect(log.flush()).rejects.toThrow("ECONNREFUSED");
    expect(log.stats()).toMatchObject({ queued: 1, healthy: false, failedWrites: 1 });
    state.down = false;
    await log.flush();
    expect(log.stats()).toMatchObject({ queued: 0, written: 1, healthy: true });
    await log.close();
  });

  it("close() gives up after closeTimeoutMs on a hung database, counts and logs what it lost, and still closes it", async () => {
    const { db, state } = fakeDb();
    state.hang = true;
    const { logger, lines } = captureLogger();
    const dropped: number[] = [];
    const log = createRequestLog({ db, logger, closeTimeoutMs: 50, onDropped: (n) => dropped.push(n) });
    log.enqueue(sampleRecord(1));
    log.enqueue(sampleRecord(2));
    const started = performance.now();
    await log.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(state.closed).toBe(true);
    expect(dropped).toEqual([2]);
    expect(log.stats()).toMatchObject({ dropped: 2, queued: 0 });
    expect(lines.filter((l) => l.msg.includes("could not be written before close"))).toHaveLength(1);
  });

  it("never keeps the process alive: its timers are unref()ed", async () => {
    const refTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = refTimers();
    const { db, state } = fakeDb();
    state.down = true;
    const log = createRequestLog({ db, logger: silentLogger() });
    log.enqueue(sampleRecord(1));
    // Now both the flush interval and a retry timer exist.
    await expect(log.flush()).rejects.toThrow();
    expect(refTimers()).toBe(before);
    state.down = false;
    await log.close();
  });
});
