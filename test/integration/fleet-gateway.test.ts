/**
 * The gateway with and without a fleet, in process: the shapes the dashboard reads
 * (`/v1/monitoring/stats` `fleet` and `providers`), health, the instance header and label.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { createFleet, type Fleet } from "../../src/fleet/index.js";
import { silentLogger } from "../../src/observability/index.js";
import { startGateway } from "../helpers/gateway.js";
import { sample } from "../helpers/prom.js";
import { dropPrefix, redisTarget, requireRedis, testPrefix } from "../helpers/redis.js";
import { postStaged, userMessage } from "../helpers/sse.js";
import { startTcpProxy } from "../helpers/tcp-proxy.js";

const RUN = await requireRedis();
const ask = { model: "m", messages: userMessage("Hello?") };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function json(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(url)).json()) as Record<string, unknown>;
}

describe("a gateway on its own", () => {
  it("reports a fleet of one, its providers, and Redis off", async () => {
    const mock = await startMockUpstream();
    cleanup.push(() => mock.close());
    const gw = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl });
    cleanup.push(() => gw.close());
    const res = await fetch(`${gw.url}/healthz`);
    expect(res.headers.get("x-gateway-instance")).toBeNull();
    const stats = await json(`${gw.url}/v1/monitoring/stats`);
    expect(stats).toMatchObject({ instance: "local", redis: "off" });
    expect(stats.fleet).toEqual([expect.objectContaining({ id: "local", self: true, in_flight: 0, last_seen_ms: 0, worker: null })]);
    expect(stats.providers).toEqual([
      expect.objectContaining({ id: "upstream", state: "active", in_flight: 0, cooldown_remaining_ms: 0, circuit_opens: null }),
    ]);
    expect(await json(`${gw.url}/v1/monitoring/health`)).toMatchObject({ status: "ok", redis: "off", instance: "local" });
  });
});

describe.skipIf(!RUN)("a gateway in a Redis fleet", () => {
  it("names itself, labels its metrics, and says degraded (while still serving) when Redis is cut", async () => {
    const mock = await startMockUpstream();
    cleanup.push(() => mock.close());
    const proxy = await startTcpProxy(redisTarget());
    cleanup.push(() => proxy.close());
    const prefix = testPrefix("gateway");
    cleanup.push(() => dropPrefix(prefix));
    const fleet: Fleet = createFleet({
      redis: { url: proxy.url(), prefix, timeoutMs: 200 },
      info: { id: "gw-test-1", version: "9.9.9", started_at: new Date().toISOString(), host: "here", pid: 7, worker: null },
      ttlMs: 3_000,
      logger: silentLogger(),
      wallClock: () => Date.now(),
      now: () => performance.now(),
      inFlight: () => 0,
    });
    cleanup.push(() => fleet.close());
    const gw = await startGateway({ UPSTREAM_BASE_URL: mock.baseUrl }, { fleet });
    cleanup.push(() => gw.close());
    fleet.start();
    await expect.poll(() => json(`${gw.url}/v1/monitoring/health`)).toMatchObject({ status: "ok", redis: "up", instance: "gw-test-1" });

    const r = await postStaged(gw.url, ask);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-gateway-instance")).toBe("gw-test-1");
    // Prompt summary, reasoning summary and the answer: three calls, all counted in Redis.
    const stats = await json(`${gw.url}/v1/monitoring/stats`);
    expect(stats.fleet).toEqual([expect.objectContaining({ id: "gw-test-1", version: "9.9.9", host: "here", pid: 7, self: true })]);
    expect(stats.providers).toEqual([expect.objectContaining({ id: "upstream", requests: 3, successes: 3, circuit_opens: 0 })]);
    let metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(sample(metrics, "gateway_redis_up", { instance: "gw-test-1" })).toBe(1);
    expect(sample(metrics, "gateway_streams_in_flight", { instance: "gw-test-1" })).toBe(0);

    proxy.cut();
    await expect.poll(() => json(`${gw.url}/v1/monitoring/health`)).toMatchObject({ status: "degraded", redis: "down" });
    metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(sample(metrics, "gateway_redis_up", { instance: "gw-test-1" })).toBe(0);
    const during = await postStaged(gw.url, ask);
    expect(during.events.at(-1)?.event).toBe("output.done");
    // The fleet list falls back to this replica alone.
    expect((await json(`${gw.url}/v1/monitoring/stats`)).fleet).toEqual([expect.objectContaining({ id: "gw-test-1", self: true })]);

    proxy.restore();
    await expect.poll(() => json(`${gw.url}/v1/monitoring/health`)).toMatchObject({ status: "ok", redis: "up" });
  });
});
