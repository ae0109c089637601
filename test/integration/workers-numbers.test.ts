/**
 * WORKERS=2 without Redis: whichever worker answers the dashboard's poll, its headline numbers are
 * both workers' (gathered by the cluster primary), and it says so.
 */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { startMockUpstream } from "../../mock-upstream/index.js";
import { PROCESS_TEST_MS } from "../helpers/bounds.js";
import { startReplica } from "../helpers/replicas.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** One request on a fresh connection (no keep-alive), so the kernel may hand it to either worker. */
function fresh(url: string, body?: unknown): Promise<{ status: number; instance: string; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      url,
      { method: payload ? "POST" : "GET", agent: false, headers: { connection: "close", ...(payload && { "content-type": "application/json" }) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, instance: String(res.headers["x-gateway-instance"]), json: JSON.parse(text) as Record<string, unknown> }),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

describe("WORKERS=2 without Redis", { timeout: PROCESS_TEST_MS }, () => {
  it("each worker's /v1/monitoring/stats and series count both workers' requests, with scope fleet", async () => {
    const mock = await startMockUpstream();
    cleanup.push(() => mock.close());
    const gw = await startReplica({ WORKERS: "2", UPSTREAM_BASE_URL: mock.baseUrl });
    cleanup.push(() => gw.kill("SIGKILL").then(() => undefined));

    // Requests until both workers have served some (the second may still be starting at first).
    const served = new Map<string, number>();
    const ask = { model: "mock-reasoning_content", messages: [{ role: "user", content: "Hello?" }], stream: false };
    for (let i = 0; (i < 6 || served.size < 2) && i < 200; i++) {
      const r = await fresh(`${gw.url}/v1/chat/completions`, ask);
      expect(r.status).toBe(200);
      served.set(r.instance, (served.get(r.instance) ?? 0) + 1);
    }
    expect(served.size).toBe(2);
    const total = [...served.values()].reduce((a, b) => a + b, 0);

    // Whichever worker answers, the figures are both workers'.
    const answered = new Set<string>();
    await expect
      .poll(
        async () => {
          const r = await fresh(`${gw.url}/v1/monitoring/stats`);
          const s = r.json as { scope: string; replicas: number; totals: { requests: number } };
          if (s.scope === "fleet" && s.totals.requests === total && s.replicas === 2) answered.add(r.instance);
          return answered.size;
        },
        { timeout: 30_000, interval: 50 },
      )
      .toBe(2);
    const series = (await fresh(`${gw.url}/v1/monitoring/series?minutes=15`)).json as { scope: string; replicas: number; buckets: { requests: number }[] };
    expect(series).toMatchObject({ scope: "fleet", replicas: 2 });
    expect(series.buckets.reduce((n, b) => n + b.requests, 0)).toBe(total);
    expect(gw.output()).toMatch(/the dashboard's headline numbers are gathered by this primary/);
  });
});
