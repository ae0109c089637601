import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { sha256 } from "../../src/http/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { createPgliteDb, createRequestLog, runMigrations, type Db } from "../../src/storage/index.js";
import { startGateway } from "../helpers/gateway.js";
import { postStaged, userMessage } from "../helpers/sse.js";

/**
 * What the dashboard reads, over real sockets: the time series, the request log's filters and key
 * names, operator changes in the event tail, and how the page assets are served.
 */
const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c.close();
});

// PGlite takes seconds to start: one embedded database for the file, emptied before each test.
let db: Db;
beforeAll(async () => {
  db = createPgliteDb({ dataDir: "memory://" });
  await runMigrations(db);
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  await db.exec("DELETE FROM requests");
});
const newLog = () => createRequestLog({ db: { ...db, close: async () => undefined }, logger: silentLogger() });

/** A gateway with two named keys, and the request log when asked. */
async function setup(opts: { log?: boolean } = {}) {
  const mock = await startMockUpstream();
  const log = opts.log ? newLog() : undefined;
  const keys = [
    { name: "team-a", sha256: sha256("key-a"), rpm: 2, maxConcurrent: undefined },
    { name: "ci", sha256: sha256("key-ci"), rpm: undefined, maxConcurrent: undefined },
  ];
  const gateway = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, UPSTREAM_MAX_RETRIES: "0" }, { ...(log && { requestLog: log }), keys });
  closers.push(mock, ...(log ? [log] : []), gateway);
  return { mock, log, gateway };
}

const json = async (url: string, init?: RequestInit): Promise<any> => (await fetch(url, init)).json();
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe("GET /v1/monitoring/series", () => {
  it("counts finished requests in the current bucket, with per-stage latency", async () => {
    const { mock, gateway } = await setup();
    expect((await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Hi?") }, { headers: auth("key-ci") })).status).toBe(200);
    mock.mock.configure({ faults: { fail: { status: 500, times: Infinity, target: "all" } } });
    expect((await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Hi?") }, { headers: auth("key-ci") })).status).toBe(502);

    const s = await json(`${gateway.url}/v1/monitoring/series?minutes=15`, { headers: auth("key-ci") });
    expect(s).toMatchObject({ bucket_seconds: 10, minutes: 15 });
    expect(s.buckets).toHaveLength(90);
    const total = s.buckets.reduce((n: number, b: { requests: number }) => n + b.requests, 0);
    const errors = s.buckets.reduce((n: number, b: { errors: number }) => n + b.errors, 0);
    expect([total, errors]).toEqual([2, 1]);
    const withTraffic = s.buckets.filter((b: { requests: number }) => b.requests > 0);
    expect(withTraffic.some((b: any) => typeof b.latency_ms.total.p95 === "number" && typeof b.latency_ms.prompt_summary.p50 === "number")).toBe(true);
    expect(Date.parse(s.buckets[1].start) - Date.parse(s.buckets[0].start)).toBe(10_000);
  });

  it("refuses a range it does not keep, naming the range", async () => {
    const { gateway } = await setup();
    for (const bad of ["0", "61", "abc", "2.5"]) {
      const res = await fetch(`${gateway.url}/v1/monitoring/series?minutes=${bad}`, { headers: auth("key-ci") });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: { message: `minutes: must be a whole number from 1 to 60 (got "${bad}")`, type: "invalid_request_error", code: "invalid_query" },
      });
    }
  });
});

describe("the request log: key names and filters", () => {
  it("records which key each request used, rejected ones included, and filters by key and provider", async () => {
    const { log, gateway } = await setup({ log: true });
    const ask = (key: string) => postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Why?") }, { headers: auth(key) });
    expect((await ask("key-a")).status).toBe(200);
    expect((await ask("key-a")).status).toBe(200);
    expect((await ask("key-a")).status).toBe(429); // team-a's rpm is 2: rejected, still logged with its key
    expect((await ask("key-ci")).status).toBe(200);
    await log!.flush();

    const list = async (q: string) => (await json(`${gateway.url}/v1/requests?${q}`, { headers: auth("key-ci") })).requests as any[];
    const all = await list("limit=10");
    expect(all.map((r) => [r.keyName, r.outcome])).toEqual([
      ["ci", "ok"],
      ["team-a", "rejected"],
      ["team-a", "ok"],
      ["team-a", "ok"],
    ]);
    expect((await list("key_name=team-a")).map((r) => r.outcome)).toEqual(["rejected", "ok", "ok"]);
    expect((await list("key_name=team-a&status=ok")).length).toBe(2);
    expect((await list("provider=upstream")).length).toBe(3); // the rejected one never had a provider
    expect(await list("provider=elsewhere")).toEqual([]);
    expect(await list("key_name=nobody")).toEqual([]);
    const one = await json(`${gateway.url}/v1/requests/${all[0].id}`, { headers: auth("key-ci") });
    expect(one.keyName).toBe("ci");
  });

  it("leaves keyName out when keys are off", async () => {
    const mock = await startMockUpstream();
    const log = newLog();
    const gateway = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl }, { requestLog: log });
    closers.push(mock, log, gateway);
    await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Why?") });
    await log.flush();
    const [row] = (await json(`${gateway.url}/v1/requests`)).requests;
    expect(row).not.toHaveProperty("keyName");
  });
});

describe("operator changes in the event tail", () => {
  it("a strategy switch and a reset each leave one line", async () => {
    const { gateway } = await setup();
    const post = (path: string) => fetch(`${gateway.url}${path}`, { method: "POST", headers: auth("key-ci") });
    expect((await post("/v1/providers/strategy/round_robin")).status).toBe(200);
    expect((await post("/v1/providers/strategy/nonsense")).status).toBe(400);
    expect((await post("/v1/providers/reset")).status).toBe(200);
    const { events } = await json(`${gateway.url}/v1/monitoring/logs?count=10`, { headers: auth("key-ci") });
    expect(events.map((e: any) => [e.type, e.level, e.message])).toEqual([
      ["strategy", "info", "strategy priority → round_robin on every route (1 changed)"],
      ["reset", "info", "providers reset by an operator: states back to active, strategies back to the configured ones"],
    ]);
  });
});

describe("the page assets", () => {
  it("are served bundled, gzipped when asked, with an ETag that makes a reload a 304", async () => {
    const { gateway } = await setup();
    for (const [name, type] of [
      ["playground.js", "text/javascript; charset=utf-8"],
      ["admin.js", "text/javascript; charset=utf-8"],
      ["app.css", "text/css; charset=utf-8"],
    ] as const) {
      const res = await fetch(`${gateway.url}/assets/${name}`, { headers: { "accept-encoding": "gzip" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("content-encoding")).toBe("gzip");
      const etag = res.headers.get("etag");
      expect(etag).toMatch(/^"[\w-]{22}"$/);
      const body = await res.text();
      expect(body.length).toBeGreaterThan(1000);
      const again = await fetch(`${gateway.url}/assets/${name}`, { headers: { "if-none-match": etag! } });
      expect(again.status).toBe(304);
    }
    // The bundle holds the typed client and the renderers, not a hand-written SSE parser.
    const playground = await (await fetch(`${gateway.url}/assets/playground.js`)).text();
    expect(playground).toContain("summary.progress");
    expect(playground).toMatch(/DOMPurify|dompurify/);
    expect((await fetch(`${gateway.url}/assets/nope.js`)).status).toBe(404);
  });

  it("the pages load scripts and styles only from /assets, with a CSP that forbids inline ones", async () => {
    const { gateway } = await setup();
    for (const path of ["/", "/admin"]) {
      const res = await fetch(`${gateway.url}${path}`);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/\sstyle=/);
      expect(html).not.toMatch(/<style/);
      expect(html).not.toMatch(/\son[a-z]+=/);
    }
  });
});
