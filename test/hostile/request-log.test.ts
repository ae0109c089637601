// The request log against what a client can put in a row, on real PostgreSQL (a schema of its own)
// and on PGlite: nothing is dropped that could be stored, and every drop that cannot be avoided
// is counted in gateway_request_log_dropped_total and logged once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMetrics, type Metrics } from "../../src/observability/index.js";
import type { RequestRecord } from "../../src/events/index.js";
import { createPgDb, createPgliteDb, createRequestLog, openRequestLog, runMigrations, type Db, type RequestLog } from "../../src/storage/index.js";
import { startGateway } from "../helpers/gateway.js";
import { captureLogger, postgresAvailable, sampleRecord, startTcpProxy, testDatabaseUrl, useTestSchemas, viaPort } from "../helpers/pg.js";
import { sample } from "../helpers/prom.js";
import { mulberry32 } from "../helpers/random.js";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { okBody } from "./helpers.js";

const pgAvailable = await postgresAvailable();
const newSchema = useTestSchemas();

/** A Db that can be switched off: every statement fails as if the server had gone. */
function switchable(db: Db): { db: Db; down: (v: boolean) => void } {
  let isDown = false;
  const refused = () => Object.assign(new Error("connect ECONNREFUSED (switched off by the test)"), { code: "ECONNREFUSED" });
  return {
    down: (v) => void (isDown = v),
    db: {
      ...db,
      async query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
        if (isDown) throw refused();
        return db.query<T>(sql, params);
      },
      async close() {},
    },
  };
}

const dropped = async (m: Metrics): Promise<number | undefined> => sample((await m.render()).body, "gateway_request_log_dropped_total");

const rnd = mulberry32(2026);
/** Printable text that does not compress: a 3,000-character one overflows a btree index entry. */
const incompressible = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(0x21 + Math.floor(rnd() * 0x5e))).join("");

// Everything either database was found to refuse, and what it must not mind.
const NASTY = "nul\u0000 lone\ud800 pair-of-lone\udecf\udc44 low\udc00 ls\u2028ps\u2029 nel\u0085 bom\ufeff nonchar\uffff ctl\u0001 rainbow🌈";

// PGlite takes seconds to start on a busy machine: one instance serves the whole file.
let pglite: Db | undefined;
afterAll(async () => {
  await pglite?.close();
});
async function sharedPglite(): Promise<Db> {
  if (!pglite) {
    pglite = createPgliteDb({ dataDir: "memory://" });
    await runMigrations(pglite);
  }
  await pglite.exec("DELETE FROM requests");
  // Logs close their database; this one must outlive them.
  return { ...pglite, close: async () => undefined };
}

function backends(): Array<{ name: string; enabled: boolean; open: () => Promise<Db> }> {
  return [
    {
      name: "PostgreSQL",
      enabled: pgAvailable,
      open: async () => {
        const { url } = await newSchema();
        const db = createPgDb({ databaseUrl: url, logger: captureLogger().logger, connectionTimeoutMs: 1_000 });
        // The log closes it; a test whose log got a wrapper leaves it to this.
        cleanups.push(() => db.close().catch(() => undefined));
        await runMigrations(db);
        return db;
      },
    },
    {
      name: "PGlite",
      enabled: true,
      open: sharedPglite,
    },
  ];
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function logOn(db: Db, over: Partial<Parameters<typeof createRequestLog>[0]> = {}) {
  const metrics = createMetrics({ defaultMetrics: false });
  const { logger, lines } = captureLogger();
  const log = createRequestLog({ db, logger, onDropped: (n) => metrics.logDropped(n), retryBaseMs: 20, ...over });
  cleanups.push(() => log.close());
  return { log, metrics, lines };
}

for (const backend of backends()) {
  describe.skipIf(!backend.enabled)(`request log on ${backend.name}`, () => {
    it("stores what a client put in every text column: cut to its limit with a marker, made storable, never dropped", async () => {
      const db = await backend.open();
      const { log, metrics } = logOn(db);
      const longModel = incompressible(3_000);
      const record = sampleRecord(1, {
        model: longModel,
        summaryModel: incompressible(3_000),
        provider: NASTY,
        errorCode: NASTY,
        errorMessage: `${NASTY} ${"e".repeat(50_000)}`,
        promptSummary: { text: NASTY, source: "model" },
        reasoningSummary: { text: NASTY.repeat(2_000), source: "fallback" },
        route: { provider: NASTY, strategy: "priority", reason: NASTY, attempts: 1 },
        requestBody: { [`key${NASTY}`]: [NASTY, { deeper: NASTY }] },
        answer: NASTY,
        usage: { prompt_tokens: 1, extra: NASTY },
      });
      log.enqueue(record);
      await log.flush();
      expect(log.stats()).toMatchObject({ written: 1, dropped: 0, queued: 0 });
      expect(await dropped(metrics)).toBe(0);

      const got = (await log.get(record.id))!;
      expect(got.model).toHaveLength(256);
      expect(got.model).toMatch(/…\[truncated 2\d{3} chars\]$/);
      expect(longModel.startsWith(got.model.slice(0, 200))).toBe(true);
      expect(got.errorMessage!.length).toBe(2_000);
      expect(got.reasoningSummary!.text).toMatch(/…\[truncated \d+ chars\]$/);
      const clean = "nul lone\ufffd pair-of-lone\ufffd\ufffd low\ufffd ls\u2028ps\u2029 nel\u0085 bom\ufeff nonchar\uffff ctl\u0001 rainbow🌈";
      expect(got.answer).toBe(clean);
      expect(got.promptSummary).toEqual({ text: clean, source: "model" });
      expect(got.requestBody).toEqual({ [`key${clean}`]: [clean, { deeper: clean }] });
      expect(got.route).toMatchObject({ reason: clean });
      // The index on model takes the cut name, and finds it again.
      expect((await log.list({ model: got.model })).map((r) => r.id)).toEqual([record.id]);
    });

    it("keeps every row of a resent request id, under suffixed ids, and drops none", async () => {
      const db = await backend.open();
      const { log, metrics, lines } = logOn(db);
      const resent = (i: number): RequestRecord => sampleRecord(i, { id: "resent-id" });
      for (const i of [1, 2, 3]) log.enqueue(resent(i));
      await log.flush();
      log.enqueue(resent(4));
      await log.flush();
      expect(log.stats()).toMatchObject({ written: 4, dropped: 0 });
      expect(await dropped(metrics)).toBe(0);
      const rows = await log.list({ limit: 10 });
      const ids = rows.map((r) => r.id);
      expect(ids).toHaveLength(4);
      expect(new Set(ids).size).toBe(4);
      expect((await log.get("resent-id"))!.startedAt).toEqual(resent(1).startedAt);
      expect((await log.get("resent-id~2"))!.startedAt).toEqual(resent(2).startedAt);
      expect(ids.filter((id) => /^resent-id~[0-9a-f]{8}\.[0-9a-z]+$/.test(id))).toHaveLength(2);
      expect(lines.filter((l) => l.msg.includes("stored this request under a suffixed id"))).toHaveLength(3);
    });

    it("counts and logs once the records a full queue pushes out", async () => {
      const { db, down } = switchable(await backend.open());
      const { log, metrics, lines } = logOn(db, { maxQueue: 3, flushIntervalMs: 10_000 });
      down(true);
      for (let i = 1; i <= 5; i++) log.enqueue(sampleRecord(i));
      await expect(log.flush()).rejects.toThrow(/ECONNREFUSED/);
      expect(await dropped(metrics)).toBe(2);
      expect(lines.filter((l) => l.msg.includes("queue full"))).toHaveLength(1);
      down(false);
      await log.flush();
      expect(log.stats()).toMatchObject({ written: 3, dropped: 2, queued: 0 });
      expect(lines.filter((l) => l.msg.includes("queue no longer full"))).toMatchObject([{ dropped: 2 }]);
    });

    it("counts and logs once a record the database refuses", async () => {
      const db = await backend.open();
      const { log, metrics, lines } = logOn(db);
      log.enqueue(sampleRecord(1, { startedAt: new Date(Number.NaN) }));
      log.enqueue(sampleRecord(2));
      await log.flush();
      expect(await dropped(metrics)).toBe(1);
      expect(lines.filter((l) => l.msg.includes("rejected by the database"))).toHaveLength(1);
      expect(await log.get("req-0002")).toBeDefined();
    });

    it("bounds the flush at close when the database is unreachable, and counts and logs what it lost", async () => {
      const { db, down } = switchable(await backend.open());
      const { log, metrics, lines } = logOn(db, { closeTimeoutMs: 1_000 });
      down(true);
      for (let i = 1; i <= 4; i++) log.enqueue(sampleRecord(i));
      const started = performance.now();
      await log.close();
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(await dropped(metrics)).toBe(4);
      expect(lines.filter((l) => l.msg.includes("could not be written before close"))).toMatchObject([{ dropped: 4 }]);
    });
  });
}

describe.skipIf(!pgAvailable)("request log on a PostgreSQL server that is gone at shutdown", () => {
  it("gives up within closeTimeoutMs, and every queued record is counted", async () => {
    const { url } = await newSchema();
    const target = new URL(testDatabaseUrl());
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    cleanups.push(() => proxy.close());
    const metrics = createMetrics({ defaultMetrics: false });
    const log = await openRequestLog({
      databaseUrl: viaPort(url, proxy.port),
      dataDir: "unused",
      logger: captureLogger().logger,
      onDropped: (n) => metrics.logDropped(n),
    });
    log.enqueue(sampleRecord(1));
    await log.flush();
    proxy.off();
    for (let i = 2; i <= 6; i++) log.enqueue(sampleRecord(i));
    const started = performance.now();
    await log.close();
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(await dropped(metrics)).toBe(5);
  });
});

describe("the request log behind a real gateway", () => {
  let log: RequestLog;
  beforeAll(async () => {
    log = createRequestLog({ db: await sharedPglite(), logger: captureLogger().logger });
  });
  afterAll(async () => {
    await log.close();
  });

  it("keeps both requests that sent the same x-request-id (each under the gateway's own id), and text PGlite used to refuse, with nothing dropped", async () => {
    const mock = await startMockUpstream({});
    cleanups.push(() => mock.close());
    const gw = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, LOG_BODIES: "true" }, { requestLog: log });
    cleanups.push(() => gw.close());
    // Written as JSON escapes, as a client would send them: two lone surrogates in a row and U+2028.
    const body = JSON.stringify(okBody({ stream: false })).replace("Why is the sky blue?", "Why\\udecf\\udc44 is\\u2028the sky blue?");
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "client-chosen-1" },
        body,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-client-request-id")).toBe("client-chosen-1");
      ids.push(res.headers.get("x-request-id") ?? "");
    }
    expect(new Set(ids).size).toBe(2);
    await log.flush();
    expect(log.stats()).toMatchObject({ dropped: 0 });
    const list = (await (await fetch(`${gw.url}/v1/requests?limit=10`)).json()) as {
      requests: Array<{ id: string; requestBody: { messages: Array<{ content: string }> } }>;
    };
    expect(list.requests.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(list.requests[0]!.requestBody.messages[0]!.content).toBe("Why\ufffd\ufffd is\u2028the sky blue?");
    for (const id of ids) expect((await fetch(`${gw.url}/v1/requests/${id}`)).status).toBe(200);
  });
});
