/**
 * WORKERS=2: one command, one port, two worker processes (node:cluster) that both take requests,
 * share state through Redis, report one `/metrics` with both workers' series, and stop together
 * on SIGTERM.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { find, parseProm } from "../helpers/prom.js";
import { dropPrefix, requireRedis, TEST_REDIS_URL, testPrefix } from "../helpers/redis.js";
import { startGatewayProcess } from "../helpers/process.js";
import { startReplica } from "../helpers/replicas.js";

const RUN = await requireRedis();

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A GET on a fresh connection (no keep-alive), so the kernel may hand it to either worker. */
function getFresh(url: string): Promise<{ status: number; instance: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: "close" } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, instance: res.headers["x-gateway-instance"] as string | undefined, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The instances seen on fresh connections until both workers answered (the second may still be starting). */
async function bothWorkers(url: string): Promise<Set<string>> {
  const seen = new Set<string>();
  const deadline = performance.now() + 15_000;
  while (seen.size < 2 && performance.now() < deadline) {
    const r = await getFresh(`${url}/v1/models`);
    expect(r.status).toBe(200);
    if (r.instance) seen.add(r.instance);
  }
  expect(seen.size).toBe(2);
  return seen;
}

describe.skipIf(!RUN)("WORKERS=2", { timeout: 60_000 }, () => {
  it("serves on one port, both workers take requests, the fleet lists both, and SIGTERM stops them all", async () => {
    const mock = await startMockUpstream();
    cleanup.push(() => mock.close());
    const prefix = testPrefix("workers");
    cleanup.push(() => dropPrefix(prefix));
    const gw = await startReplica({ WORKERS: "2", REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, UPSTREAM_BASE_URL: mock.baseUrl });
    cleanup.push(() => gw.kill("SIGKILL").then(() => undefined));

    // Once both listen, connections alternate.
    const seen = await bothWorkers(gw.url);
    // Both workers' cards are in the shared replica list, each with its worker number.
    await expect
      .poll(
        async () => {
          const stats = JSON.parse((await getFresh(`${gw.url}/v1/monitoring/stats`)).body) as { fleet: { id: string; worker: number | null; pid: number }[] };
          return stats.fleet.map((m) => m.worker).sort();
        },
        { timeout: 10_000, interval: 200 },
      )
      .toEqual([1, 2]);
    // One scrape shows every worker's series, told apart by `instance`.
    const metrics = parseProm((await getFresh(`${gw.url}/metrics`)).body);
    expect(new Set(find(metrics, "gateway_streams_in_flight").map((s) => s.labels.instance))).toEqual(seen);
    expect(gw.output()).toMatch(/starting 2 workers on one port; routing state, key limits and the replica list are shared through Redis/);

    expect(await gw.kill("SIGTERM")).toBe(0);
    expect(gw.output().match(/"msg":"stopped"/g)).toHaveLength(2);
    await expect(getFresh(`${gw.url}/healthz`)).rejects.toThrow();
  });

  it("without Redis, says at start what each worker keeps for itself", async () => {
    const mock = await startMockUpstream();
    cleanup.push(() => mock.close());
    const gw = await startReplica({ WORKERS: "2", UPSTREAM_BASE_URL: mock.baseUrl });
    cleanup.push(() => gw.kill("SIGKILL").then(() => undefined));
    expect(gw.output()).toMatch(/WITHOUT REDIS_URL: each worker keeps its own provider cooldowns and circuits/);
    const r = await getFresh(`${gw.url}/v1/monitoring/health`);
    expect(JSON.parse(r.body)).toMatchObject({ status: "ok", redis: "off" });
  });

  it("with the default request log: the primary holds DATA_DIR, each worker logs into its own directory, a second gateway is refused", async () => {
    const mock = await startMockUpstream();
    cleanup.push(() => mock.close());
    const dataDir = mkdtempSync(join(tmpdir(), "sgw-workers-"));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const gw = await startReplica({ WORKERS: "2", UPSTREAM_BASE_URL: mock.baseUrl, REQUEST_LOG: "true", DATA_DIR: dataDir });
    cleanup.push(() => gw.kill("SIGKILL").then(() => undefined));
    await bothWorkers(gw.url);
    await expect.poll(() => [1, 2].map((n) => existsSync(join(dataDir, `requests-worker-${n}`))), { timeout: 30_000 }).toEqual([true, true]);
    const second = await startGatewayProcess({ UPSTREAM_BASE_URL: mock.baseUrl, DATA_DIR: dataDir }).then(
      (p) => p.kill().then(() => "started"),
      (e: unknown) => String(e),
    );
    expect(second).toMatch(/is in use by another gateway/);
    expect(await gw.kill("SIGTERM")).toBe(0);
  });
});
