/**
 * The gateway serves before its request log is open: while the database opens, finished requests
 * queue (bounded; what overflows is counted in gateway_request_log_dropped_total) and the log's
 * read routes answer 503 request_log_starting; once it is open the queue is written and reads work.
 * The database's opening is held back by a gate, so the order is the test's, not the clock's.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { createPgliteDb, runMigrations, startRequestLog, type Db, type RequestLog } from "../../src/storage/index.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";
import { postStaged, userMessage } from "../helpers/sse.js";

const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c.close();
});

// One embedded database for the file, emptied before each use.
let real: Db;
beforeAll(async () => {
  real = createPgliteDb({ dataDir: "memory://" });
  await runMigrations(real);
});
afterAll(async () => {
  await real.close();
});

/** `real`, whose every statement waits until `open()` (or fails once `fail()` is called). */
function gated(): { db: Db; open: () => void; fail: (why: string) => void } {
  let open!: () => void;
  let fail!: (why: string) => void;
  const gate = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = (why) => reject(new Error(why));
  });
  gate.catch(() => undefined);
  const db: Db = {
    kind: "pglite",
    query: async (sql, params) => (await gate, real.query(sql, params)),
    exec: async (sql) => (await gate, real.exec(sql)),
    transaction: async (fn) => (await gate, real.transaction(fn)),
    close: async () => undefined,
  };
  return { db, open, fail };
}

async function gatewayWith(log: RequestLog, onDropped: { fn: (n: number) => void }): Promise<RunningGateway> {
  const mock = await startMockUpstream();
  closers.push(mock);
  const gw = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, UPSTREAM_MAX_RETRIES: "0" }, { requestLog: log });
  closers.push(gw);
  onDropped.fn = (n) => gw.gateway.metrics.logDropped(n);
  return gw;
}

/** A response body as the tests read it. */
const body = async (res: Response): Promise<any> => res.json();

const ask = { model: "mock-reasoner", messages: userMessage("Why is the sky blue?") };

describe("request log while it opens", () => {
  it("answers 503 request_log_starting, queues what finishes (bounded, the overflow counted), and writes it once open", async () => {
    await real.exec("DELETE FROM requests");
    const { db, open } = gated();
    const late = { fn: (_n: number): void => undefined };
    const log = startRequestLog({ db, dataDir: "unused", logger: silentLogger(), maxQueue: 2, flushIntervalMs: 20, onDropped: (n) => late.fn(n) });
    closers.push(log);
    const gw = await gatewayWith(log, late);

    const list = await fetch(`${gw.url}/v1/requests`);
    expect(list.status).toBe(503);
    expect(list.headers.get("retry-after")).toBe("2");
    expect(await list.json()).toMatchObject({
      error: { code: "request_log_starting", type: "server_error", message: expect.stringContaining("still opening") },
    });
    expect((await body(await fetch(`${gw.url}/v1/requests/some-id`))).error.code).toBe("request_log_starting");

    // Three finished requests, room for two: the oldest is dropped and counted.
    for (let i = 0; i < 3; i++) expect((await postStaged(gw.url, ask)).status).toBe(200);
    await expect.poll(() => log.stats().queued + log.stats().dropped).toBe(3);
    const stats = (await body(await fetch(`${gw.url}/v1/monitoring/stats`))).request_log;
    expect(stats).toMatchObject({ starting: true, queued: 2, dropped: 1, written: 0 });
    expect(await (await fetch(`${gw.url}/metrics`)).text()).toMatch(/^gateway_request_log_dropped_total 1$/m);

    open();
    await expect.poll(async () => (await fetch(`${gw.url}/v1/requests`)).status).toBe(200);
    await expect.poll(async () => ((await body(await fetch(`${gw.url}/v1/requests`))).requests as unknown[]).length).toBe(2);
    expect(log.stats()).toMatchObject({ starting: false, queued: 0, written: 2, dropped: 1 });
  });

  it("says request_log_unavailable, not starting, once the first attempt to open has failed", async () => {
    const { db, fail } = gated();
    const late = { fn: (_n: number): void => undefined };
    const log = startRequestLog({ db, dataDir: "unused", logger: silentLogger(), retryBaseMs: 60_000 });
    closers.push(log);
    const gw = await gatewayWith(log, late);
    fail("disk full");
    await expect.poll(() => log.stats().starting).toBe(false);
    const res = await fetch(`${gw.url}/v1/requests`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "request_log_unavailable", message: expect.stringContaining("disk full") } });
    expect(log.stats().healthy).toBe(false);
  });
});
