import { afterEach, describe, expect, it } from "vitest";
import pg from "pg";
import { startMockUpstream, type RunningMock } from "../../mock-upstream/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { openRequestLog, type RequestLog } from "../../src/storage/index.js";
import { startGateway, type RunningGateway } from "../helpers/gateway.js";
import { postgresAvailable, useTestSchemas } from "../helpers/pg.js";
import { sample } from "../helpers/prom.js";
import { first, postStaged, userMessage } from "../helpers/sse.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function setup(log: RequestLog, env: Record<string, string> = {}): Promise<{ mock: RunningMock; gateway: RunningGateway }> {
  const mock = await startMockUpstream();
  const gateway = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl, UPSTREAM_MAX_RETRIES: "0", ...env }, { requestLog: log });
  open.push(log, mock, gateway);
  return { mock, gateway };
}

/** Two good requests, one with a summary fallback, one upstream failure. */
async function knownTraffic(mock: RunningMock, url: string): Promise<string[]> {
  const ask = (q: string) => postStaged(url, { model: "mock-tagged", messages: userMessage(q) });
  const ids: string[] = [];
  for (const q of ["What is 2+2?", "Name a prime number."]) ids.push(String(first(await ask(q), "output.done").data.request_id));
  mock.mock.configure({ faults: { fail: { status: 500, times: Infinity, target: "prompt_summary" } } });
  ids.push(String(first(await ask("Why is ice slippery?"), "output.done").data.request_id));
  mock.mock.configure({ faults: { fail: { status: 500, times: Infinity, target: "all", message: "engine on fire" } }, latency: { promptSummaryMs: 300 } });
  const failed = await ask("This one fails.");
  expect(failed.status).toBe(502);
  ids.push(String(failed.headers.get("x-request-id")));
  return ids;
}

describe("metrics and monitoring after a known set of requests", () => {
  it("counts requests, fallbacks and latencies, and reports stats, logs and health", async () => {
    const log = await openRequestLog({ dataDir: "memory://", logger: silentLogger() });
    const { mock, gateway } = await setup(log);
    await knownTraffic(mock, gateway.url);
    expect((await postStaged(gateway.url, { model: "mock-tagged", messages: [] })).status).toBe(400);

    const m = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(sample(m, "gateway_requests_total", { model: "mock-tagged", outcome: "ok", status: "200" })).toBe(3);
    expect(sample(m, "gateway_requests_total", { model: "mock-tagged", outcome: "upstream_error", status: "502" })).toBe(1);
    expect(sample(m, "gateway_requests_total", { model: "mock-tagged", outcome: "rejected", status: "400" })).toBe(1);
    expect(sample(m, "gateway_summary_fallbacks_total", { stage: "prompt_summary" })).toBe(1);
    expect(sample(m, "gateway_first_output_seconds_count", { model: "mock-tagged" })).toBe(3);
    expect(sample(m, "gateway_upstream_ttfb_seconds_count", { model: "mock-tagged" })).toBe(3);
    expect(sample(m, "gateway_tokens_total", { model: "mock-tagged", kind: "completion" })).toBeGreaterThan(0);
    expect(sample(m, "gateway_streams_in_flight")).toBe(0);
    expect(sample(m, "gateway_provider_circuit_state", { provider: "upstream", state: "active" })).toBe(1);

    const stats = (await (await fetch(`${gateway.url}/v1/monitoring/stats`)).json()) as Record<string, any>;
    expect(stats.totals).toMatchObject({ requests: 5, ok: 3, errors: 1, rejected: 1 });
    expect(stats.success_rate).toBe(0.6);
    expect(stats.latency_ms.total.p50).toEqual(expect.any(Number));
    const logs = (await (await fetch(`${gateway.url}/v1/monitoring/logs?count=10`)).json()) as { events: { type: string; level: string }[] };
    expect(logs.events.filter((e) => e.type === "request")).toHaveLength(5);
    expect(logs.events.some((e) => e.type === "summary_fallback")).toBe(true);
    expect((await fetch(`${gateway.url}/v1/monitoring/logs?count=abc`)).status).toBe(400);
    expect(await (await fetch(`${gateway.url}/v1/monitoring/health`)).json()).toMatchObject({ status: "ok", in_flight: 0 });
  });

  it("counts a client that leaves", async () => {
    const log = await openRequestLog({ dataDir: "memory://", logger: silentLogger() });
    const { mock, gateway } = await setup(log);
    mock.mock.configure({ latency: { reasoningChunkMs: 50 } });
    const ac = new AbortController();
    const pending = postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Long one.") }, { signal: ac.signal }).catch(() => undefined);
    await mock.mock.waitFor((calls) => calls.some((c) => c.kind === "chat" && c.chunksSent > 2));
    ac.abort();
    await pending;
    await mock.mock.waitFor((calls) => calls.some((c) => c.outcome === "aborted"));
    await expect.poll(async () => sample(await (await fetch(`${gateway.url}/metrics`)).text(), "gateway_client_disconnects_total")).toBe(1);
    await log.flush();
    const rows = (await (await fetch(`${gateway.url}/v1/requests`)).json()) as { requests: { outcome: string }[] };
    expect(rows.requests[0]?.outcome).toBe("client_closed");
  });
});

describe("the request log over HTTP (embedded PGlite)", () => {
  it("keeps one row per request, newest first, with filters and lookup by id", async () => {
    const log = await openRequestLog({ dataDir: "memory://", logger: silentLogger() });
    const { mock, gateway } = await setup(log);
    const ids = await knownTraffic(mock, gateway.url);
    await log.flush();
    const list = (await (await fetch(`${gateway.url}/v1/requests?limit=10`)).json()) as { requests: Record<string, any>[] };
    expect(list.requests.map((r) => r.id)).toEqual([...ids].reverse());
    const okRow = list.requests.find((r) => r.id === ids[0])!;
    expect(okRow).toMatchObject({ model: "mock-tagged", provider: "upstream", outcome: "ok", httpStatus: 200, stream: true, requestBody: null, answer: null });
    expect(okRow.promptSummary).toMatchObject({ source: "model" });
    expect(okRow.reasoningSummary.text).toMatch(/^- /);
    expect(okRow.timings.total).toEqual(expect.any(Number));
    const failed = (await (await fetch(`${gateway.url}/v1/requests?status=upstream_error`)).json()) as { requests: Record<string, any>[] };
    expect(failed.requests).toHaveLength(1);
    expect(failed.requests[0]).toMatchObject({ httpStatus: 502, errorMessage: "engine on fire" });
    const one = await fetch(`${gateway.url}/v1/requests/${ids[2]}`);
    expect(await one.json()).toMatchObject({ id: ids[2], summaryFallbacks: 1 });
    expect((await fetch(`${gateway.url}/v1/requests/nope`)).status).toBe(404);
    const bad = await fetch(`${gateway.url}/v1/requests?limit=0&status=meh`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { message: expect.stringMatching(/limit: .*status: /) } });
  });

  it("stores bodies only with LOG_BODIES=true", async () => {
    const log = await openRequestLog({ dataDir: "memory://", logger: silentLogger() });
    const { gateway } = await setup(log, { LOG_BODIES: "true" });
    const r = await postStaged(gateway.url, { model: "mock-tagged", messages: userMessage("Keep me.") });
    await log.flush();
    const row = (await (await fetch(`${gateway.url}/v1/requests/${String(r.headers.get("x-request-id"))}`)).json()) as Record<string, any>;
    expect(JSON.stringify(row.requestBody)).toContain("Keep me.");
    expect(row.answer).toBe(
      r.events
        .filter((e) => e.event === "output.delta")
        .map((e) => e.data.text)
        .join(""),
    );
  });
});

describe("the request log on the real PostgreSQL server", async () => {
  const available = await postgresAvailable();
  const schemas = useTestSchemas();
  it.runIf(available)("lands the same rows in PostgreSQL", async () => {
    const { url } = await schemas();
    const log = await openRequestLog({ databaseUrl: url, dataDir: "unused", logger: silentLogger() });
    const { mock, gateway } = await setup(log);
    const ids = await knownTraffic(mock, gateway.url);
    await log.flush();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const res = await client.query<{ id: string; outcome: string }>("SELECT id, outcome FROM requests ORDER BY started_at");
      expect(res.rows.map((r) => r.id)).toEqual(ids);
      expect(res.rows.map((r) => r.outcome)).toEqual(["ok", "ok", "ok", "upstream_error"]);
    } finally {
      await client.end();
    }
  });
});
